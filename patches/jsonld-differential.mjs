/**
 * Checks patches/jsonld+<version>.patch against jsonld as published: the same random documents and
 * credentials through both (expansion, RDF + RDFC-1.0 canonical N-Quads, compaction, and the errors
 * they raise), in one process each, so the patched caches are shared the way a server shares them.
 * Run it after changing the patch or upgrading jsonld (README.md beside it):
 *
 *   npm run build && node_modules/.bin/node patches/jsonld-differential.mjs [documents] [seed]
 *
 * The published package is fetched with `npm pack` (the npm registry) into
 * node_modules/jsonld/.published, where its dependencies resolve as the installed one's do, and removed
 * after.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(join(root, 'package.json'));
const patched = require('jsonld');
const rdfCanonize = require('rdf-canonize');
const { version } = JSON.parse(readFileSync(join(root, 'node_modules/jsonld/package.json'), 'utf8'));
const { staticDocumentLoader } = await import(join(root, 'core/dist/src/certificates/formats/vc/contexts.js'));

const documents = Number(process.argv[2] ?? 4000);
let seed = Number(process.argv[3] ?? 20261207);

// ---- jsonld as published, beside the installed one
// Inside the installed package's folder, so that its own nested dependencies (lru-cache 6) resolve first.
const published = join(root, 'node_modules/jsonld/.published');
const download = mkdtempSync(join(tmpdir(), 'jsonld-'));
rmSync(published, { recursive: true, force: true });
mkdirSync(published);
try {
  const tarball = execFileSync('npm', ['pack', `jsonld@${version}`, '--pack-destination', download, '--silent'], {
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['xzf', join(download, tarball), '-C', published, '--strip-components=1']);
} finally {
  rmSync(download, { recursive: true, force: true });
}

try {
  const original = require(join(published, 'lib/index.js'));
  const loader = staticDocumentLoader([
    {
      id: 'https://in.teeka.example#z6MkTest',
      controller: 'https://in.teeka.example',
      publicKeyMultibase: 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    },
  ]);

  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = (items) => items[Math.floor(random() * items.length)];
  const text = () =>
    pick(['Asha', 'अनन्या राजेश', 'محمد', 'Олена', 'x"y\\z', '', ' ', 'a\nb', '😀', 'KEM Hospital, Parel']) +
    (random() < 0.5 ? String(Math.floor(random() * 1e6)) : '');
  const maybe = (value) => (random() < 0.6 ? value : undefined);
  const day = () => `20${10 + Math.floor(random() * 20)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;

  /** Our credential's shape (formats/vc/credential.ts), with random values and optional parts. */
  const credential = () => {
    const events = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) => ({
      type: 'VaccinationEvent',
      dose: i + 1,
      totalDoses: 2 + Math.floor(random() * 2),
      date: day(),
      disease: '840539006',
      vaccine: text(),
      vaccineCode: text(),
      icd11Code: maybe('XM9QW8'),
      manufacturer: maybe(text()),
      marketingAuthorisationHolder: maybe(text()),
      batch: text(),
      country: pick(['IN', 'KE', 'UA']),
      facility: text(),
      facilityId: String(Math.floor(random() * 1e5)),
      vaccinator: maybe(text()),
    }));
    const document = {
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://teeka.example/contexts/vaccination/v1'],
      id: `urn:teeka:IN${Math.floor(random() * 1e9)}`,
      type: ['VerifiableCredential', 'VaccinationCertificate'],
      issuer: { id: 'https://in.teeka.example', name: text(), country: 'IN' },
      validFrom: `${day()}T10:00:00Z`,
      validUntil: maybe(`${day()}T10:00:00Z`),
      certificateId: 'IN123',
      certificateVersion: 1 + Math.floor(random() * 5),
      certificateKind: pick(['provisional', 'final', 'booster']),
      credentialSubject: {
        type: 'Vaccinee',
        name: text(),
        familyName: text(),
        givenName: maybe(text()),
        birthDate: day(),
        gender: maybe(pick(['female', 'male', 'other'])),
        identityDocument: maybe({ type: 'IdentityDocument', documentType: 'passport', documentNumber: text() }),
        nextDoseFrom: maybe(day()),
        vaccination: events,
      },
    };
    if (random() < 0.5) {
      document.proof = {
        type: 'DataIntegrityProof',
        cryptosuite: 'eddsa-rdfc-2022',
        created: `${day()}T10:00:00Z`,
        verificationMethod: 'https://in.teeka.example#z6MkTest',
        proofPurpose: 'assertionMethod',
        proofValue: `z${'a'.repeat(80)}`,
      };
    }
    return JSON.parse(JSON.stringify(document));
  };

  /** Nested nodes over the terms of the shipped contexts, their scoped types among them. */
  const TYPES = [
    'VerifiableCredential',
    'VerifiablePresentation',
    'DataIntegrityProof',
    'BitstringStatusListEntry',
    'BitstringStatusList',
    'JsonSchema',
    'Multikey',
    'VaccinationEvent',
    'Vaccinee',
    'EnvelopedVerifiableCredential',
  ];
  const PROPERTIES = [
    'id',
    'name',
    'description',
    'issuer',
    'credentialSubject',
    'validFrom',
    'validUntil',
    'proof',
    'credentialStatus',
    'evidence',
    'holder',
    'verifiableCredential',
    'termsOfUse',
    'refreshService',
    'credentialSchema',
    'statusPurpose',
    'statusListIndex',
    'statusListCredential',
    'cryptosuite',
    'created',
    'proofPurpose',
    'proofValue',
    'verificationMethod',
    'challenge',
    'domain',
    'nonce',
    'expires',
    'previousProof',
    'encodedList',
    'ttl',
    'confidenceMethod',
    'relatedResource',
    'digestSRI',
    'mediaType',
    'dose',
    'date',
    'vaccination',
    'familyName',
    'controller',
    'publicKeyMultibase',
    'statusMessage',
    'status',
    'message',
    'digestMultibase',
    'renderMethod',
    'cnf',
    'kid',
    'jwk',
  ];
  const node = (depth) => {
    const object = {};
    if (random() < 0.7) object.type = random() < 0.7 ? pick(TYPES) : [pick(TYPES), pick(TYPES)];
    if (random() < 0.5) object.id = `urn:x:${Math.floor(random() * 100)}`;
    for (let i = Math.floor(random() * 6); i > 0; i--) {
      const choice = random();
      object[pick(PROPERTIES)] =
        depth > 0 && choice < 0.4
          ? node(depth - 1)
          : depth > 0 && choice < 0.5
            ? [node(depth - 1), node(depth - 1)]
            : choice < 0.7
              ? text()
              : choice < 0.8
                ? Math.floor(random() * 100)
                : choice < 0.9
                  ? `urn:y:${Math.floor(random() * 9)}`
                  : day();
    }
    return object;
  };
  const contexts = [
    ['https://www.w3.org/ns/credentials/v2'],
    ['https://www.w3.org/ns/credentials/v2', 'https://teeka.example/contexts/vaccination/v1'],
    ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    ['https://www.w3.org/ns/credentials/v2', 'https://w3id.org/security/data-integrity/v2'],
  ];
  const anyDocument = () => ({ '@context': pick(contexts), ...node(3) });

  const outcome = async (jsonld, document, operation, safe) => {
    try {
      if (operation === 'expand') return JSON.stringify(await jsonld.expand(document, { documentLoader: loader, safe }));
      if (operation === 'compact') return JSON.stringify(await jsonld.compact(document, document['@context'], { documentLoader: loader }));
      const dataset = await jsonld.toRDF(document, {
        documentLoader: loader,
        safe,
        rdfDirection: 'i18n-datatype',
        produceGeneralizedRdf: false,
        base: null,
      });
      return rdfCanonize.canonize(dataset, { algorithm: 'RDFC-1.0', format: 'application/n-quads' });
    } catch (error) {
      return `error ${error.name} ${error.details?.code ?? ''} ${error.message}`;
    }
  };

  let compared = 0;
  let errors = 0;
  for (let i = 0; i < documents; i++) {
    const document = i % 2 ? credential() : anyDocument();
    const safe = i % 3 === 0;
    for (const operation of ['expand', 'canonical', 'compact']) {
      const expected = await outcome(original, structuredClone(document), operation, safe);
      const actual = await outcome(patched, structuredClone(document), operation, safe);
      if (actual !== expected) {
        console.error(`document ${i}, ${operation}: the patched jsonld differs\n${JSON.stringify(document)}`);
        console.error(`published: ${expected.slice(0, 500)}\npatched:   ${actual.slice(0, 500)}`);
        process.exitCode = 1;
        break;
      }
      compared++;
      if (expected.startsWith('error')) errors++;
    }
    if (process.exitCode) break;
  }
  if (!process.exitCode) {
    console.log(
      `jsonld ${version}: ${documents} documents, ${compared} results identical with and without the patch (${errors} the same error)`,
    );
  }
} finally {
  rmSync(published, { recursive: true, force: true });
}
