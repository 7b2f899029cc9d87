import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { Encoder } from 'cbor-x';
import { decode, encode, Tag } from 'cbor2';

/**
 * The HCERT container: CWT claims in a COSE_Sign1 (RFC 9052) signed with ES256. cbor2 writes
 * plain CBOR: integer-keyed Maps for the CWT and headers, byte strings for bstr, and refuses
 * `undefined` (which has no place in a certificate).
 */
export const COSE_SIGN1_TAG = 18;
export const ES256 = -7;
const HEADER_ALG = 1;
const HEADER_KID = 4;
export const CWT = { iss: 1, exp: 4, iat: 6, hcert: -260 } as const;
const HCERT_EU_DCC = 1;

export class MalformedError extends Error {}

/**
 * cbor-x set to write plain CBOR: no records extension, no typed-array or tag 259 tags, map heads
 * of their true size. cbor2 spends ~5 µs on every map key (it encodes each key on its own, into a
 * fresh 4 KiB buffer, to be able to sort them): ~90 µs for a certificate's claims, more than the
 * ES256 signature. cbor-x writes the same bytes in a few µs.
 */
const fastEncoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
  // Not in cbor-x's type declarations, read by its encoder: a Map with other than text keys gets no tag 259.
  ...{ useTag259ForMaps: false },
});

/**
 * The values cbor-x writes exactly as cbor2 does (core/test/certificates/cbor-encoding.test.ts
 * compares them): well-formed text, integers that fit 32 bits, booleans, null, byte strings,
 * arrays, Maps and plain objects of those. cbor2 replaces a lone surrogate with U+FFFD where
 * cbor-x writes it raw, larger integers as integers where cbor-x writes floats, and -0 as a
 * float where cbor-x writes 0; it refuses undefined. Anything else goes to cbor2.
 */
function fastEncodable(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed();
    case 'number':
      return Number.isInteger(value) && value <= 0xffffffff && value >= -0x100000000 && !Object.is(value, -0);
    case 'boolean':
      return true;
    case 'object': {
      if (value === null || value instanceof Uint8Array) return true;
      if (Array.isArray(value)) return value.every(fastEncodable);
      if (value instanceof Map) {
        for (const [key, item] of value) if (!fastEncodable(key) || !fastEncodable(item)) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) if (!key.isWellFormed() || !fastEncodable((value as Record<string, unknown>)[key])) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * CBOR of a value (a tag below 24 at the top is its one head byte before its contents' CBOR);
 * cbor2 for what cbor-x would write otherwise. Always plain bytes, never a Buffer (cbor-x answers Buffers), so that what it
 * returns can go into another value whichever library writes that one. Byte strings given to it
 * must be plain too (`plain`): cbor2 would write a Buffer as its JSON.
 */
export function cborEncode(value: unknown): Uint8Array {
  if (value instanceof Tag && typeof value.tag === 'number' && value.tag < 24) {
    const contents = cborEncode(value.contents);
    const out = new Uint8Array(contents.length + 1);
    out[0] = 0xc0 | value.tag;
    out.set(contents, 1);
    return out;
  }
  return fastEncodable(value) ? plain(fastEncoder.encode(value)) : encode(value, { rejectUndefined: true });
}

/**
 * A plain Uint8Array view of bytes. cbor2 writes a Node Buffer through its toJSON, as the map
 * {type: "Buffer", data: [...]}, not as a byte string: every Buffer must pass through here.
 */
const plain = (buffer: Uint8Array): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** Strict decoding: the whole input, no duplicate keys, nesting a certificate never needs refused. */
export function cborDecode(bytes: Uint8Array, what: string): unknown {
  try {
    // Decoding a Buffer yields Buffers for byte strings, which cbor2 would re-encode as JSON.
    return decode(plain(bytes), { preferMap: true, rejectDuplicateKeys: true, maxDepth: 32 });
  } catch (error) {
    throw new MalformedError(`${what} is not CBOR (${(error as Error).message})`);
  }
}

/** The EU DCC kid: the first 8 bytes of SHA-256 of the signing certificate's DER. */
export const kidOf = (certificateDer: Uint8Array): Buffer => createHash('sha256').update(certificateDer).digest().subarray(0, 8);

export function cwtClaims(claims: { iss: string; iat: number; exp: number; payload: Record<string, unknown> }): Uint8Array {
  return cborEncode(
    new Map<number, unknown>([
      [CWT.iss, claims.iss],
      [CWT.iat, claims.iat],
      [CWT.exp, claims.exp],
      [CWT.hcert, new Map([[HCERT_EU_DCC, claims.payload]])],
    ]),
  );
}

const sigStructure = (protectedHeader: Uint8Array, payload: Uint8Array) =>
  cborEncode(['Signature1', plain(protectedHeader), new Uint8Array(0), plain(payload)]);

export function signSign1(payload: Uint8Array, kid: Uint8Array, privateKey: KeyObject): Uint8Array {
  const protectedHeader = cborEncode(
    new Map<number, unknown>([
      [HEADER_ALG, ES256],
      [HEADER_KID, plain(kid)],
    ]),
  );
  const signature = sign('sha256', sigStructure(protectedHeader, payload), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return cborEncode(new Tag(COSE_SIGN1_TAG, [protectedHeader, new Map(), plain(payload), plain(signature)]));
}

export interface Sign1 {
  protectedHeader: Uint8Array;
  alg: unknown;
  kid: Uint8Array | undefined;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** A COSE_Sign1, tagged 18 or untagged (both occur in the wild); throws MalformedError. */
export function parseSign1(bytes: Uint8Array): Sign1 {
  let message = cborDecode(bytes, 'the COSE message');
  if (message instanceof Tag) {
    if (Number(message.tag) !== COSE_SIGN1_TAG) throw new MalformedError(`CBOR tag ${message.tag} is not COSE_Sign1 (18)`);
    message = message.contents;
  }
  if (!Array.isArray(message) || message.length !== 4) throw new MalformedError('not a COSE_Sign1: expected an array of 4');
  const [protectedHeader, unprotected, payload, signature] = message as unknown[];
  if (!(protectedHeader instanceof Uint8Array)) throw new MalformedError('COSE protected header is not a byte string');
  if (!(unprotected instanceof Map)) throw new MalformedError('COSE unprotected header is not a map');
  if (!(payload instanceof Uint8Array)) throw new MalformedError('COSE payload is not a byte string');
  if (!(signature instanceof Uint8Array)) throw new MalformedError('COSE signature is not a byte string');
  const headers = protectedHeader.length === 0 ? new Map() : cborDecode(protectedHeader, 'the COSE protected header');
  if (!(headers instanceof Map)) throw new MalformedError('COSE protected header is not a map');
  // HCERT puts the kid in the protected header; early issuers put it in the unprotected one.
  const kid = headers.get(HEADER_KID) ?? unprotected.get(HEADER_KID);
  if (kid !== undefined && !(kid instanceof Uint8Array)) throw new MalformedError('COSE kid is not a byte string');
  return { protectedHeader, alg: headers.get(HEADER_ALG), kid, payload, signature };
}

export function verifySign1(message: Sign1, publicKey: KeyObject): boolean {
  if (message.signature.length !== 64) return false;
  return verify(
    'sha256',
    sigStructure(message.protectedHeader, message.payload),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    message.signature,
  );
}

export interface Claims {
  iss: string | undefined;
  iat: number | undefined;
  exp: number | undefined;
  payload: unknown;
}

/** The CWT claims and the EU DCC inside them, as JSON (the schema validates it next). */
export function parseClaims(bytes: Uint8Array): Claims {
  const claims = cborDecode(bytes, 'the CWT payload');
  if (!(claims instanceof Map)) throw new MalformedError('CWT payload is not a map');
  const hcert = claims.get(CWT.hcert);
  if (!(hcert instanceof Map) || !hcert.has(HCERT_EU_DCC)) throw new MalformedError('CWT has no hcert (-260) claim with an EU DCC (1)');
  const iss = claims.get(CWT.iss);
  const time = (key: number, name: string): number | undefined => {
    const value = claims.get(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new MalformedError(`CWT ${name} is not a number`);
    return value;
  };
  if (iss !== undefined && typeof iss !== 'string') throw new MalformedError('CWT iss is not a string');
  return { iss, iat: time(CWT.iat, 'iat'), exp: time(CWT.exp, 'exp'), payload: toJson(hcert.get(HCERT_EU_DCC), '') };
}

function toJson(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((item, i) => toJson(item, `${path}/${i}`));
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, item] of value) {
      if (typeof key !== 'string') throw new MalformedError(`EU DCC ${path || '(top level)'} has a non-text key`);
      Object.defineProperty(object, key, { value: toJson(item, `${path}/${key}`), enumerable: true, writable: true, configurable: true });
    }
    return object;
  }
  throw new MalformedError(`EU DCC ${path || '(top level)'} holds a value JSON cannot (${typeof value})`);
}
