/** Reference-value formats and their digest encodings, as `vmfw-measure reference-values` takes them. */
export type RefFormat = 'json' | 'trustee' | 'go-sev-guest' | 'contrast';
export const REF_FORMATS: readonly RefFormat[] = ['json', 'trustee', 'go-sev-guest', 'contrast'];
export const REF_ENCODINGS: Readonly<Record<RefFormat, readonly string[]>> = {
  'json': ['hex', '0xhex', 'base64', 'base64url'], 'trustee': ['hex', 'base64'], 'go-sev-guest': [], 'contrast': [],
};
