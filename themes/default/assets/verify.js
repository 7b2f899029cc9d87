// The verification page's browser side: checks EU Digital COVID Certificates (HC1:) and SMART
// Health Cards (shc:/) on this device against the tenant's trust list, which the service worker
// (/verify-sw.js) keeps for offline use; verifiable credentials need JSON-LD canonicalisation
// and go to the server's API when online. Reads QR codes with the browser's BarcodeDetector
// where there is one. Without this script the form posts to the server, which verifies.
(() => {
  const app = document.getElementById('verify-app');
  const form = app?.querySelector('[data-verify-form]');
  if (!app || !form || !('crypto' in window) || !crypto.subtle || typeof DecompressionStream !== 'function') return;
  const config = JSON.parse(app.dataset.config);
  const { messages } = config;
  const field = form.elements.payload;
  const live = app.querySelector('[data-live-result]');
  const trustStatus = app.querySelector('[data-trust-status]');

  class Malformed extends Error {}
  const fill = (template, values) => template.replace(/\{\{(\w+)\}\}/g, (_, name) => String(values[name] ?? ''));
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const ascii = new TextEncoder();

  // ---- The trust list: through the service worker (the network online, its copy offline). ----
  let trust;
  async function loadTrustList() {
    try {
      const response = await fetch(config.trustList, { cache: 'no-cache', headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`trust list: ${response.status}`);
      const list = await response.json();
      trust = { ...list, revokedSet: new Set(list.revoked ?? []), keyCache: new Map() };
      const when = new Date(list.generatedAt);
      const date = new Intl.DateTimeFormat(config.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: config.timeZone }).format(
        when,
      );
      trustStatus.replaceChildren(
        element('span', { 'data-trust-date': list.generatedAt }, fill(messages.trustListFrom, { date })),
        ...('serviceWorker' in navigator ? [' · ', element('span', {}, messages.offlineReady)] : []),
      );
    } catch {
      trust = undefined;
      trustStatus.textContent = messages.trustListMissing;
    }
    return trust;
  }

  async function publicKey(entry) {
    let key = trust.keyCache.get(entry.kid);
    if (!key) {
      const { kty, crv, x, y } = entry.publicKey;
      key = await crypto.subtle.importKey('jwk', { kty, crv, x, y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
      trust.keyCache.set(entry.kid, key);
    }
    return key;
  }

  const verifyEs256 = async (entry, signature, data) =>
    signature.length === 64 && crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, await publicKey(entry), signature, data);

  const instant = (text) => {
    const time = text ? Date.parse(text) : Number.NaN;
    return Number.isNaN(time) ? undefined : time;
  };

  // ---- Bytes: Base45, base64(url), inflate. ----
  const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  function base45Decode(text) {
    if (text.length % 3 === 1) throw new Malformed('Base45 length');
    const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
    const digit = (at) => {
      const value = BASE45.indexOf(text[at]);
      if (value < 0) throw new Malformed('not Base45');
      return value;
    };
    let o = 0;
    for (let i = 0; i < text.length; i += 3) {
      if (i + 2 < text.length) {
        const n = digit(i) + digit(i + 1) * 45 + digit(i + 2) * 2025;
        if (n > 0xffff) throw new Malformed('Base45 triplet');
        out[o++] = n >> 8;
        out[o++] = n & 0xff;
      } else {
        const n = digit(i) + digit(i + 1) * 45;
        if (n > 0xff) throw new Malformed('Base45 pair');
        out[o++] = n;
      }
    }
    return out;
  }

  const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const toBase64Url = (bytes) => toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  function fromBase64Url(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Malformed('not base64url');
    let binary;
    try {
      binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
    } catch {
      throw new Malformed('not base64url');
    }
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    // Canonical only, as the server: no two texts carry the same signature.
    if (toBase64Url(bytes) !== text) throw new Malformed('not canonical base64url');
    return bytes;
  }

  /** DecompressionStream ('deflate' is zlib, 'deflate-raw' raw DEFLATE), at most `max` bytes. */
  async function inflate(bytes, format, max) {
    const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format)).getReader();
    const chunks = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > max) {
          await reader.cancel().catch(() => {});
          throw new Malformed('inflates too far');
        }
        chunks.push(value);
      }
    } catch (error) {
      throw error instanceof Malformed ? error : new Malformed('not compressed data');
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  // ---- CBOR (RFC 8949): the little a COSE_Sign1 and CWT use, strictly. ----
  class Tagged {
    constructor(tag, value) {
      this.tag = tag;
      this.value = value;
    }
  }
  function halfFloat(bits) {
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    const sign = bits & 0x8000 ? -1 : 1;
    if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
    if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  function cborDecode(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    const need = (n) => {
      if (n > bytes.length - pos) throw new Malformed('CBOR ends early');
    };
    const argument = (info) => {
      if (info < 24) return info;
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size) throw new Malformed('CBOR indefinite length');
      need(size);
      let value;
      if (size === 1) value = view.getUint8(pos);
      else if (size === 2) value = view.getUint16(pos);
      else if (size === 4) value = view.getUint32(pos);
      else {
        const big = view.getBigUint64(pos);
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed('CBOR integer too large');
        value = Number(big);
      }
      pos += size;
      return value;
    };
    const item = (depth) => {
      if (depth > 32) throw new Malformed('CBOR nested too deep');
      need(1);
      const initial = bytes[pos++];
      const major = initial >> 5;
      const info = initial & 0x1f;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 25 || info === 26 || info === 27) {
          const size = { 25: 2, 26: 4, 27: 8 }[info];
          need(size);
          const value = size === 2 ? halfFloat(view.getUint16(pos)) : size === 4 ? view.getFloat32(pos) : view.getFloat64(pos);
          pos += size;
          return value;
        }
        throw new Malformed('CBOR simple value');
      }
      const n = argument(info);
      switch (major) {
        case 0:
          return n;
        case 1:
          return -1 - n;
        case 2:
        case 3: {
          need(n);
          const value = bytes.subarray(pos, pos + n);
          pos += n;
          if (major === 2) return value;
          try {
            return utf8.decode(value);
          } catch {
            throw new Malformed('CBOR text is not UTF-8');
          }
        }
        case 4: {
          need(n);
          const list = [];
          for (let i = 0; i < n; i++) list.push(item(depth + 1));
          return list;
        }
        case 5: {
          need(n * 2);
          const map = new Map();
          for (let i = 0; i < n; i++) {
            const key = item(depth + 1);
            if (typeof key === 'object' && key !== null) throw new Malformed('CBOR map key');
            if (map.has(key)) throw new Malformed('CBOR duplicate key');
            map.set(key, item(depth + 1));
          }
          return map;
        }
        default:
          return new Tagged(n, item(depth + 1));
      }
    };
    const value = item(0);
    if (pos !== bytes.length) throw new Malformed('bytes after the CBOR item');
    return value;
  }

  function cborHead(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 0x100) return [(major << 5) | 24, n];
    if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }
  /** Sig_structure ["Signature1", protected, h'', payload], as COSE signs it. */
  function sigStructure(protectedHeader, payload) {
    const context = ascii.encode('Signature1');
    const parts = [
      Uint8Array.of(0x84),
      Uint8Array.from(cborHead(3, context.length)),
      context,
      Uint8Array.from(cborHead(2, protectedHeader.length)),
      protectedHeader,
      Uint8Array.of(0x40),
      Uint8Array.from(cborHead(2, payload.length)),
      payload,
    ];
    const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** The EU DCC inside the CWT as JSON: text keys only. */
  function toJson(value) {
    if (value === null || ['string', 'boolean'].includes(typeof value)) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (Array.isArray(value)) return value.map(toJson);
    if (value instanceof Map) {
      const object = {};
      for (const [key, item] of value) {
        if (typeof key !== 'string' || key === '__proto__') throw new Malformed('EU DCC key');
        object[key] = toJson(item);
      }
      return object;
    }
    throw new Malformed('EU DCC value');
  }

  const vaccineName = (code) => config.vaccines[code] ?? code;
  const isText = (value) => typeof value === 'string' && value.length > 0;

  // ---- EU Digital COVID Certificate: HC1: Base45 zlib COSE_Sign1 (ES256) CWT. ----
  async function verifyHc1(text) {
    const format = 'eu-dcc';
    if (text.length > 8192) throw new Malformed('too long');
    const compressed = base45Decode(text.slice(4));
    if (compressed.length === 0) throw new Malformed('empty');
    let message = cborDecode(await inflate(compressed, 'deflate', 64 * 1024));
    if (message instanceof Tagged) {
      if (message.tag !== 18) throw new Malformed('not COSE_Sign1');
      message = message.value;
    }
    if (!Array.isArray(message) || message.length !== 4) throw new Malformed('not COSE_Sign1');
    const [protectedHeader, unprotected, payload, signature] = message;
    if (!(protectedHeader instanceof Uint8Array) || !(unprotected instanceof Map)) throw new Malformed('COSE headers');
    if (!(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) throw new Malformed('COSE payload');
    const headers = protectedHeader.length === 0 ? new Map() : cborDecode(protectedHeader);
    if (!(headers instanceof Map)) throw new Malformed('COSE protected header');
    if (headers.get(1) !== -7) throw new Malformed('not ES256');
    const kid = headers.get(4) ?? unprotected.get(4);
    if (!(kid instanceof Uint8Array) || kid.length === 0) throw new Malformed('no kid');

    const claims = cborDecode(payload);
    if (!(claims instanceof Map)) throw new Malformed('CWT');
    const hcert = claims.get(-260);
    if (!(hcert instanceof Map) || !hcert.has(1)) throw new Malformed('no hcert');
    const dcc = toJson(hcert.get(1));
    const iss = claims.get(1);
    const iat = claims.get(6);
    const exp = claims.get(4);
    if (typeof exp !== 'number') throw new Malformed('no exp');
    const vaccination = Array.isArray(dcc?.v) ? dcc.v[0] : undefined;
    if (typeof dcc?.nam !== 'object' || dcc.nam === null || !isText(dcc.dob) || !vaccination || !isText(vaccination.ci)) {
      throw new Malformed('not a vaccination certificate');
    }

    const kidText = toBase64(kid);
    const entry = trust.keys.find((key) => key.alg === 'ES256' && key.kid === kidText);
    if (!entry) return { status: 'unknown-issuer', format };
    if (iss !== undefined && trust.country && iss !== trust.country) return { status: 'unknown-issuer', format };
    let genuine = false;
    try {
      genuine = await verifyEs256(entry, signature, sigStructure(protectedHeader, payload));
    } catch {
      genuine = false;
    }
    if (!genuine) return { status: 'invalid-signature', format };

    const { nam } = dcc;
    const latin = (icao) => (typeof icao === 'string' ? icao.replace(/</g, ' ') : undefined);
    const record = {
      name: [nam.gn ?? latin(nam.gnt), nam.fn ?? latin(nam.fnt)].filter(Boolean).join(' '),
      birthDate: dcc.dob,
      certificateId: vaccination.ci,
      doses: dcc.v.map((dose) => ({
        doseNumber: dose.dn,
        totalDoses: dose.sd,
        date: dose.dt,
        vaccine: vaccineName(dose.mp),
        country: dose.co,
      })),
    };
    const opaque = /^URN:UVCI:01[:/][A-Z]{2}[:/](.+)$/.exec(vaccination.ci)?.[1];
    if (trust.revokedSet.has(vaccination.ci) || (opaque && trust.revokedSet.has(opaque))) return { status: 'revoked', format, record };
    const now = Date.now();
    const notBefore = instant(entry.notBefore);
    const notAfter = instant(entry.notAfter);
    if ((notBefore !== undefined && now < notBefore) || (notAfter !== undefined && now > notAfter) || exp * 1000 < now) {
      return { status: 'expired', format };
    }
    if (typeof iat === 'number') record.issuedAt = new Date(iat * 1000).toISOString();
    return { status: 'valid', format, record };
  }

  // ---- SMART Health Cards: shc:/ digits, compact JWS (ES256), raw DEFLATE, FHIR bundle. ----
  async function revocationId(certificateId, kid) {
    const key = await crypto.subtle.importKey('raw', ascii.encode(kid), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, ascii.encode(certificateId)));
    return toBase64Url(mac.subarray(0, 8));
  }

  function readBundle(bundle) {
    if (bundle?.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) throw new Malformed('no bundle');
    const resources = bundle.entry.map((entry) => entry?.resource ?? {});
    const patients = bundle.entry.filter((entry) => entry?.resource?.resourceType === 'Patient');
    if (patients.length !== 1) throw new Malformed('one Patient');
    const patient = patients[0].resource;
    const name = patient.name?.[0];
    const given = Array.isArray(name?.given) ? name.given.filter(isText) : [];
    const fullName = isText(name?.text)
      ? name.text.trim()
      : [...given, isText(name?.family) ? name.family : '']
          .map((part) => part.trim())
          .filter(Boolean)
          .join(' ');
    if (!fullName) throw new Malformed('no name');
    const doses = [];
    for (const resource of resources) {
      if (resource.resourceType !== 'Immunization') continue;
      if (resource.patient?.reference !== patients[0].fullUrl) throw new Malformed('Immunization for someone else');
      const date = resource.occurrenceDateTime;
      const codes = Array.isArray(resource.vaccineCode?.coding)
        ? resource.vaccineCode.coding.filter((c) => isText(c?.system) && isText(c?.code))
        : [];
      if (!isText(date) || codes.length === 0) throw new Malformed('Immunization');
      if (resource.status !== 'completed' || resource.isSubpotent === true) continue;
      const named = codes.find((coding) => config.vaccines[coding.code]);
      doses.push({ date: date.slice(0, 10), vaccine: vaccineName((named ?? codes[0]).code) });
    }
    if (doses.length === 0) throw new Malformed('no dose');
    doses.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    const certificateId = isText(bundle.identifier?.value) ? bundle.identifier.value : undefined;
    return { name: fullName, birthDate: isText(patient.birthDate) ? patient.birthDate : '', certificateId, doses };
  }

  async function verifyShc(text) {
    const format = 'shc';
    const digits = text.slice(5);
    if (!/^[0-9]+$/.test(digits) || digits.length % 2 !== 0 || digits.length > 64 * 1024) throw new Malformed('digits');
    let jws = '';
    for (let i = 0; i < digits.length; i += 2) {
      const pair = Number(digits.slice(i, i + 2));
      if (pair > 77) throw new Malformed('digit pair');
      jws += String.fromCharCode(pair + 45);
    }
    const parts = jws.split('.');
    if (parts.length !== 3) throw new Malformed('JWS parts');
    const [headerBytes, body, signature] = parts.map(fromBase64Url);
    let header;
    let claims;
    try {
      header = JSON.parse(utf8.decode(headerBytes));
    } catch {
      throw new Malformed('JWS header');
    }
    if (header?.alg !== 'ES256' || header.zip !== 'DEF' || !isText(header.kid) || header.crit !== undefined)
      throw new Malformed('JWS header');
    try {
      claims = JSON.parse(utf8.decode(await inflate(body, 'deflate-raw', 1024 * 1024)));
    } catch (error) {
      throw error instanceof Malformed ? error : new Malformed('JWS payload');
    }
    const { iss, nbf, exp, vc } = claims ?? {};
    if (!isText(iss) || typeof nbf !== 'number' || (exp !== undefined && typeof exp !== 'number')) throw new Malformed('claims');
    if (!Array.isArray(vc?.type) || !vc.type.includes('https://smarthealth.cards#health-card')) throw new Malformed('not a health card');
    if (!String(vc.credentialSubject?.fhirVersion ?? '').startsWith('4.')) throw new Malformed('not FHIR R4');
    const content = readBundle(vc.credentialSubject.fhirBundle);

    if (iss !== trust.issuerUrl.replace(/\/+$/, '')) return { status: 'unknown-issuer', format };
    const entry = trust.keys.find((key) => key.kid === header.kid && key.alg === 'ES256');
    if (!entry) return { status: 'unknown-issuer', format };
    let genuine = false;
    try {
      genuine = await verifyEs256(entry, signature, ascii.encode(`${parts[0]}.${parts[1]}`));
    } catch {
      genuine = false;
    }
    if (!genuine) return { status: 'invalid-signature', format };

    const now = Date.now() / 1000;
    const signedAt = nbf * 1000;
    const notBefore = instant(entry.notBefore);
    const notAfter = instant(entry.notAfter);
    if (nbf > now + 60 || (exp !== undefined && exp < now)) return { status: 'expired', format };
    if ((notBefore !== undefined && signedAt < notBefore) || (notAfter !== undefined && signedAt > notAfter)) {
      return { status: 'expired', format };
    }
    const record = {
      name: content.name,
      birthDate: content.birthDate,
      certificateId: content.certificateId ?? (isText(vc.rid) ? vc.rid : ''),
      doses: content.doses.map((dose, index) => ({
        doseNumber: index + 1,
        totalDoses: 0,
        date: dose.date,
        vaccine: dose.vaccine,
        country: trust.country,
      })),
    };
    let revoked = content.certificateId !== undefined && trust.revokedSet.has(content.certificateId);
    if (!revoked && isText(vc.rid)) {
      for (const id of trust.revokedSet) {
        if ((await revocationId(id, header.kid)) === vc.rid) {
          revoked = true;
          break;
        }
      }
    }
    return { status: revoked ? 'revoked' : 'valid', format, record };
  }

  // ---- Verifiable credentials: the server's API, online only. ----
  async function verifyOnline(text) {
    if (navigator.onLine === false) return { status: 'offline-vc' };
    try {
      const response = await fetch(config.verifyApi, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Language': document.documentElement.lang },
        body: JSON.stringify({ payload: text }),
      });
      if (!response.ok) return { status: 'malformed' };
      const answer = await response.json();
      return { status: answer.status, format: answer.format, record: answer.record, online: true };
    } catch {
      return { status: 'offline-vc' };
    }
  }

  async function verify(input) {
    const text = input.trim();
    try {
      if (/^HC1:/i.test(text)) return await verifyHc1(`HC1:${text.slice(4)}`);
      if (/^shc:\//i.test(text)) return await verifyShc(text);
      if (text.startsWith('{')) return await verifyOnline(text);
      return { status: 'malformed' };
    } catch (error) {
      if (!(error instanceof Malformed)) console.warn('verification failed', error);
      return { status: 'malformed' };
    }
  }

  // ---- Showing the answer. ----
  const element = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  };
  const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;
  const day = (value) =>
    FULL_DATE.test(value ?? '')
      ? new Intl.DateTimeFormat(config.locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${value}T00:00:00Z`))
      : (value ?? '');

  function show(result) {
    document.getElementById('verify-result')?.remove();
    if (result.status === 'offline-vc') {
      live.replaceChildren(
        element(
          'section',
          { class: 'card notice warning', id: 'verify-result', 'data-status': 'offline' },
          element('p', {}, messages.vcOnline),
        ),
      );
      return;
    }
    const status = messages.status[result.status] ? result.status : 'malformed';
    const section = element(
      'section',
      {
        class: `card verify-result verify-${status}${status === 'valid' ? ' success' : ''}`,
        id: 'verify-result',
        'data-status': status,
        tabindex: '-1',
      },
      element('h2', {}, messages.status[status]),
      element('p', { class: 'verify-message' }, messages.sentence[status]),
    );
    const record = status === 'valid' || status === 'revoked' ? result.record : undefined;
    if (record) {
      const doses = element(
        'ul',
        { class: 'plain' },
        ...(record.doses ?? []).map((dose) =>
          element(
            'li',
            {},
            `${dose.totalDoses > 0 ? fill(messages.doseOf, { number: dose.doseNumber, total: dose.totalDoses }) : fill(messages.dose, { number: dose.doseNumber })}: `,
            element('bdi', {}, dose.vaccine),
            `, ${day(dose.date)}, ${dose.country}`,
          ),
        ),
      );
      const facts = element(
        'dl',
        { class: 'facts' },
        element('dt', {}, messages.name),
        element('dd', { class: 'verify-name' }, element('bdi', {}, record.name)),
        element('dt', {}, messages.birthDate),
        element('dd', {}, day(record.birthDate)),
        element('dt', {}, messages.doses),
        element('dd', {}, doses),
      );
      if (record.certificateId)
        facts.append(element('dt', {}, messages.certificateId), element('dd', { dir: 'ltr', class: 'verify-id' }, record.certificateId));
      section.append(facts);
    }
    if (result.format && messages.format[result.format]) {
      section.append(element('p', { class: 'reference' }, `${messages.formatLabel}: ${messages.format[result.format]}`));
    }
    section.append(element('p', { class: 'reference' }, result.online ? messages.checkedOnline : messages.checkedOnDevice));
    live.replaceChildren(section);
    section.focus();
  }

  form.addEventListener('submit', async (event) => {
    const text = field.value;
    event.preventDefault();
    if (!text.trim()) {
      live.replaceChildren(element('p', { class: 'field-error' }, messages.empty));
      field.focus();
      return;
    }
    live.replaceChildren(element('p', { class: 'hint' }, messages.verifying));
    if (!trust) await loadTrustList();
    const local = /^(HC1:|shc:\/)/i.test(text.trim());
    if (local && !trust) {
      // No trust list on this device: the server verifies, if it can be reached.
      if (navigator.onLine !== false) form.submit();
      else live.replaceChildren(element('p', { class: 'notice warning' }, messages.trustListMissing));
      return;
    }
    show(await verify(text));
  });

  // ---- Reading QR codes: BarcodeDetector on the camera or on a photo. ----
  const scanArea = app.querySelector('[data-scan-area]');
  const scanButton = app.querySelector('[data-scan]');
  const stopButton = app.querySelector('[data-stop-scan]');
  const photoLabel = app.querySelector('[data-photo-label]');
  const photo = app.querySelector('[data-photo]');
  const video = app.querySelector('[data-video]');
  const scanStatus = app.querySelector('[data-scan-status]');
  let stream;
  let detector;

  async function qrDetector() {
    if (!('BarcodeDetector' in window)) return undefined;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      return formats.includes('qr_code') ? new window.BarcodeDetector({ formats: ['qr_code'] }) : undefined;
    } catch {
      return undefined;
    }
  }

  function scanned(text) {
    field.value = text;
    scanStatus.textContent = messages.scanned;
    stopCamera();
    form.requestSubmit();
  }

  function stopCamera() {
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = undefined;
    video.hidden = true;
    stopButton.hidden = true;
    scanButton.hidden = false;
  }

  async function scanFrames() {
    while (stream) {
      try {
        const [code] = await detector.detect(video);
        if (code?.rawValue) return scanned(code.rawValue);
      } catch {
        // A frame that is not ready yet: try the next one.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  (async () => {
    detector = await qrDetector();
    scanArea.hidden = false;
    if (!detector) {
      scanStatus.textContent = messages.noCamera;
      return;
    }
    photoLabel.hidden = false;
    if (navigator.mediaDevices?.getUserMedia) scanButton.hidden = false;
    scanButton.addEventListener('click', async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        scanButton.hidden = true;
        stopButton.hidden = false;
        scanStatus.textContent = '';
        scanFrames();
      } catch {
        stopCamera();
        scanStatus.textContent = messages.cameraFailed;
      }
    });
    stopButton.addEventListener('click', stopCamera);
    photo.addEventListener('change', async () => {
      const file = photo.files?.[0];
      if (!file) return;
      try {
        const [code] = await detector.detect(await createImageBitmap(file));
        if (code?.rawValue) scanned(code.rawValue);
        else scanStatus.textContent = messages.noQrFound;
      } catch {
        scanStatus.textContent = messages.noQrFound;
      }
      photo.value = '';
    });
  })();

  // ---- Offline: the service worker keeps this page and the trust list. ----
  loadTrustList();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker
      .register(config.serviceWorker, { scope: config.scope })
      .then(() => navigator.serviceWorker.ready)
      .then(() => {
        app.dataset.offlineReady = 'true';
      })
      .catch(() => {});
  }
})();
