// The error page: what went wrong, by HTTP status, the Signet error code and a message for people.
import { markup } from '../../review/html.js';
import { code, count, facts } from './fragments.js';
import { page } from './layout.js';
import { INBOX_PATH } from './paths.js';

export interface ErrorPageData {
  /** The HTTP status the page is sent with. */
  readonly status: number;
  /** The Signet error code (`NOT_FOUND`, `UNAUTHENTICATED`, ...). */
  readonly code: string;
  readonly message: string;
  readonly identity?: string;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Sign in needed',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  422: 'Verification failed',
};

const SERVER_ERROR = 'Something went wrong';

/** The title a status is shown under. */
export function errorTitle(status: number): string {
  if (Object.hasOwn(TITLES, status)) return TITLES[status] ?? 'Error';
  return status >= 500 ? SERVER_ERROR : 'Error';
}

export function renderErrorPage(data: ErrorPageData): string {
  const title = errorTitle(data.status);
  const body = markup`<h1>${title}</h1>
<p class="notice notice-bad pre-text">${data.message}</p>
${facts([
  ['Status', count(data.status, 'an HTTP status')],
  ['Code', code(data.code)],
])}
<p><a href="${INBOX_PATH}">Back to the inbox</a></p>`;
  return page({ title, body, identity: data.identity });
}
