// The review document's public API, for promotion/, app/ and verify/.
export { RENDERER_VERSION, SHAP_TOP_FEATURES, renderReview, type ReviewInput } from './render.js';
export {
  MAX_SHAP_CELLS,
  MAX_SHAP_JSON_BYTES,
  meanAbsShap,
  parseShapJson,
  type FeatureImportance,
  type ShapValues,
} from './shap.js';
