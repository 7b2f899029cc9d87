/**
 * A VC key's verification method id, as the VC format names keys (`vcVerificationMethodId`):
 * `<issuer url>#<publicKeyMultibase>`. Stored keys hold the multibase only, so the id follows the
 * tenant's URL.
 */
export function vcVerificationMethod(issuerUrl: string, publicKeyMultibase: string): string {
  return `${issuerUrl}#${publicKeyMultibase}`;
}
