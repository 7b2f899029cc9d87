/**
 * Minimal declarations for the parts of the Digital Bazaar JSON-LD / Data Integrity stack the VC
 * format uses. None of these packages ship TypeScript types.
 */

declare module 'jsonld' {
  export interface RemoteDocument {
    contextUrl: string | null;
    documentUrl: string;
    document: unknown;
    /** `static`: the document never changes, so jsonld keeps it resolved and processed across operations. */
    tag?: 'static';
  }
  export type DocumentLoader = (url: string) => Promise<RemoteDocument>;
  export interface JsonLdOptions {
    documentLoader?: DocumentLoader;
    safe?: boolean;
    base?: string | null;
    algorithm?: 'RDFC-1.0' | 'URDNA2015';
    format?: 'application/n-quads';
  }
  const jsonld: {
    expand(input: unknown, options?: JsonLdOptions): Promise<unknown[]>;
    canonize(input: unknown, options?: JsonLdOptions): Promise<string>;
  };
  export default jsonld;
}

declare module '@digitalbazaar/ed25519-multikey' {
  export interface Signer {
    id: string;
    algorithm: string;
    sign(options: { data: Uint8Array }): Promise<Uint8Array>;
  }
  export interface Ed25519KeyPair {
    id?: string;
    controller?: string;
    publicKeyMultibase: string;
    signer(): Signer;
  }
  export function fromJwk(options: {
    jwk: { kty?: string; crv?: string; x?: string; d?: string };
    secretKey?: boolean;
    id?: string;
    controller?: string;
  }): Promise<Ed25519KeyPair>;
}

declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  export interface Verifier {
    id: string;
    algorithm: string;
    verify(options: { data: Uint8Array; signature: Uint8Array }): Promise<boolean>;
  }
  export interface Cryptosuite {
    name: string;
    requiredAlgorithm: string;
    /** The verifier of a proof's verification method (the document the loader returned for its id). */
    createVerifier(options: { verificationMethod: { id: string; publicKeyMultibase?: string } }): Promise<Verifier>;
  }
  export const cryptosuite: Cryptosuite;
}

declare module '@digitalbazaar/data-integrity' {
  import type { Signer } from '@digitalbazaar/ed25519-multikey';
  import type { Cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
  export class DataIntegrityProof {
    constructor(options: { signer?: Signer; date?: string | Date | null; cryptosuite: Cryptosuite });
  }
}

declare module '@digitalbazaar/vc' {
  import type { DataIntegrityProof } from '@digitalbazaar/data-integrity';
  import type { DocumentLoader } from 'jsonld';
  export interface VerifyResult {
    verified: boolean;
    error?: Error & { errors?: Error[] };
    results?: { verified: boolean; error?: Error }[];
  }
  export function issue(options: {
    credential: object;
    suite: DataIntegrityProof;
    documentLoader: DocumentLoader;
    now?: string | Date;
  }): Promise<Record<string, unknown>>;
  export function verifyCredential(options: {
    credential: object;
    suite: DataIntegrityProof | DataIntegrityProof[];
    documentLoader: DocumentLoader;
    now?: string | Date;
    maxClockSkew?: number;
  }): Promise<VerifyResult>;
}
