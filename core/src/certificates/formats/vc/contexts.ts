/**
 * Every JSON-LD context the W3C VC format touches, shipped in the repository (contexts/*.json) and
 * served by a static document loader: JSON-LD processing never fetches anything, when signing or
 * when verifying. Any URL not listed here, and not a verification method or controller document
 * derived from the trust list, is refused.
 */

import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { DocumentLoader, RemoteDocument } from 'jsonld';

export const CREDENTIALS_V2 = 'https://www.w3.org/ns/credentials/v2';
export const DATA_INTEGRITY_V2 = 'https://w3id.org/security/data-integrity/v2';
export const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
export const DID_V1 = 'https://www.w3.org/ns/did/v1';
/** Ours: the vaccination terms (contexts/teeka-vaccination-v1.json). Stable; never edit, add a v2. */
export const TEEKA_VACCINATION_V1 = 'https://teeka.example/contexts/vaccination/v1';

const FILES: Record<string, string> = {
  [CREDENTIALS_V2]: 'credentials-v2.json',
  [DATA_INTEGRITY_V2]: 'data-integrity-v2.json',
  [MULTIKEY_V1]: 'multikey-v1.json',
  [DID_V1]: 'did-v1.json',
  [TEEKA_VACCINATION_V1]: 'teeka-vaccination-v1.json',
};

/**
 * The JSON files live in core/src (tsc does not copy them): next to the compiled module if
 * someone put them there, else in the source tree (core/dist/src/... -> core/src/...).
 */
function contextsDirectory(): URL {
  const beside = new URL('./contexts/', import.meta.url);
  if (existsSync(new URL(FILES[CREDENTIALS_V2]!, beside))) return beside;
  return new URL('../../../../../src/certificates/formats/vc/contexts/', import.meta.url);
}

let shipped: Map<string, string> | undefined;

/** url -> the context's JSON text, read once. */
export function shippedContexts(): ReadonlyMap<string, string> {
  if (!shipped) {
    const directory = contextsDirectory();
    shipped = new Map(Object.entries(FILES).map(([url, file]) => [url, readFileSync(new URL(file, directory), 'utf8')]));
  }
  return shipped;
}

/** A URL the loader refused: it is not shipped and not in the trust list. */
export class DocumentNotShippedError extends Error {
  constructor(readonly url: string) {
    super(`"${url}" is not a shipped JSON-LD context or a trusted verification method (no network access)`);
    this.name = 'DocumentNotShippedError';
  }
}

/** A key as the loader serves it: a Multikey verification method controlled by the issuer. */
export interface TrustedVerificationMethod {
  id: string;
  controller: string;
  publicKeyMultibase: string;
}

/**
 * The static document loader: shipped contexts, plus (for verification) the issuer's controller
 * document and its Multikey verification methods built from the trust list. Anything else throws.
 */
export function staticDocumentLoader(methods: readonly TrustedVerificationMethod[] = []): DocumentLoader {
  const contexts = shippedContexts();
  const documents = new Map<string, () => unknown>();
  for (const method of methods) {
    documents.set(method.id, () => ({ '@context': MULTIKEY_V1, type: 'Multikey', ...method }));
  }
  const controllers = new Set(methods.map((method) => method.controller));
  for (const controller of controllers) {
    // A controller document (the issuer's) in the DID core vocabulary, which jsonld-signatures
    // reads without framing: it authorises its trusted keys for assertionMethod.
    const owned = methods.filter((method) => method.controller === controller);
    documents.set(controller, () => ({
      '@context': [DID_V1, MULTIKEY_V1],
      id: controller,
      verificationMethod: owned.map((method) => ({ type: 'Multikey', ...method })),
      assertionMethod: owned.map((method) => method.id),
    }));
  }
  return async (url: string): Promise<RemoteDocument> => {
    const context = contexts.get(url);
    // Tagged `static`: jsonld then caches the context, resolved and processed, for the whole process
    // (its shared cache is keyed by the URL), instead of fetching and processing it again in every
    // expansion, compaction and canonicalisation. The shipped files never change while it runs.
    if (context !== undefined) return { contextUrl: null, documentUrl: url, document: JSON.parse(context), tag: 'static' };
    const document = documents.get(url);
    if (document) return { contextUrl: null, documentUrl: url, document: document() };
    throw new DocumentNotShippedError(url);
  };
}

const ED25519_MULTICODEC = Uint8Array.of(0xed, 0x01);
const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58btc(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = '';
  while (value > 0n) {
    out = BASE58_ALPHABET[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** The Multikey `publicKeyMultibase` ("z6Mk...") of an Ed25519 public key, or undefined for any other key. */
export function ed25519Multibase(publicKey: KeyObject): string | undefined {
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') return undefined;
  const x = publicKey.export({ format: 'jwk' }).x;
  if (!x) return undefined;
  const raw = Buffer.from(x, 'base64url');
  return `z${base58btc(Buffer.concat([ED25519_MULTICODEC, raw]))}`;
}
