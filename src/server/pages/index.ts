// The web UI's pages, for the server: pure render functions (view model in, HTML string out), the
// stylesheet and the passkey script they load, and the paths they link to.
export { SIGNET_CSS, page, type NavKey, type PageInput } from './layout.js';
export { PASSKEY_CLIENT_JS } from './passkey-client.js';
export * from './paths.js';
export { STATUS_REGION_ID, type CheckView, type EntryLinkView, type IdentityView } from './fragments.js';
export { renderSignInPage, type SignInPageData } from './sign-in.js';
export { renderEnrolPage, type EnrolPageData } from './enrol.js';
export { formatAge, renderInboxPage, type InboxDraft, type InboxPageData } from './inbox.js';
export {
  VIEW_DIGEST_ID,
  renderReviewPage,
  type ReviewApproval,
  type ReviewDraft,
  type ReviewPageData,
} from './review.js';
export {
  isVerified,
  renderEventPage,
  type EventApproval,
  type EventPageData,
  type EventReplay,
  type EventRoute,
  type EventVerification,
  type ModelPromotionEvent,
  type PipelinePromotionEvent,
} from './event.js';
export {
  renderModelsPage,
  type DeploymentWindow,
  type ModelDeploymentSummary,
  type ModelPromotionSummary,
  type ModelSummary,
  type ModelVersionSummary,
  type ModelsPageData,
} from './models.js';
export {
  renderLedgerPage,
  type InclusionProofView,
  type LedgerEntryRow,
  type LedgerPageData,
} from './ledger.js';
export { renderEntryPage, type EntryPageData } from './entry.js';
export { renderPolicyPage, type AppliedPolicyView, type PolicyPageData } from './policy.js';
export { errorTitle, renderErrorPage, type ErrorPageData } from './error.js';
