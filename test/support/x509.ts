import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * Real X.509 v3 certificates (EC P-256, ecdsa-with-SHA256) for tests, in pure Node: a minimal DER
 * encoder, no openssl CLI, no dependency. The output parses with `new crypto.X509Certificate(pem)`,
 * and a CA-issued certificate passes `cert.checkIssued(ca)` and `cert.verify(ca.publicKey)`.
 *
 * `certificateId` is the lowercase hex SHA-256 of the DER bytes — how AWS IoT derives certificate ids,
 * so the same PEM has the same id in every region.
 */

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly certificateId: string;
  /** Common name of the subject. */
  readonly subject: string;
  readonly keyPair: KeyPair;
}

export interface IssueOptions {
  /** Common name of the subject. */
  readonly subject: string;
  /** Signing CA; omitted means self-signed. */
  readonly issuer?: IssuedCertificate;
  /** Reuse a key pair (e.g. one for 20,000 device certificates); a fresh P-256 pair otherwise. */
  readonly keyPair?: KeyPair;
  /**
   * Certify this public key (SPKI DER, e.g. from a CSR) instead of a key pair's; needs `issuer`.
   * The result then has empty `privateKeyPem` / `publicKeyPem` and the issuer's `keyPair`.
   */
  readonly subjectPublicKeyInfo?: Buffer;
  /** A CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign|cRLSign). @default false */
  readonly isCa?: boolean;
  /** @default now - 1 day */
  readonly notBefore?: Date;
  /** @default 365 */
  readonly validityDays?: number;
}

/** A fresh EC P-256 key pair. */
export function generateKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A self-signed CA certificate named `name`. */
export function createCa(name: string, keyPair?: KeyPair): IssuedCertificate {
  return issueCertificate({ subject: name, isCa: true, keyPair, validityDays: 3650 });
}

export function issueCertificate(options: IssueOptions): IssuedCertificate {
  if (options.subjectPublicKeyInfo !== undefined && options.issuer === undefined) {
    throw new Error('subjectPublicKeyInfo needs an issuer: a certificate without its private key cannot sign itself');
  }
  const foreignKey = options.subjectPublicKeyInfo;
  const keyPair = options.keyPair ?? (foreignKey !== undefined && options.issuer ? options.issuer.keyPair : generateKeyPair());
  const issuerName = options.issuer?.subject ?? options.subject;
  const signingKey = options.issuer?.keyPair.privateKey ?? keyPair.privateKey;
  const notBefore = options.notBefore ?? new Date(Date.now() - 86_400_000);
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 365) * 86_400_000);
  const own = foreignKey === undefined ? exported(keyPair) : undefined;
  const spkiDer = foreignKey ?? own?.spkiDer ?? Buffer.alloc(0);
  const privateKeyPem = own?.privateKeyPem ?? '';
  const publicKeyPem = own?.publicKeyPem ?? '';
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // positive INTEGER
  serial[0] |= 0x01; // and no leading zero byte to strip

  const extensions = options.isCa
    ? [
        extension(OID.basicConstraints, true, sequence(boolean(true))),
        // keyCertSign (bit 5) | cRLSign (bit 6): 0b0000_0110, 1 unused bit
        extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
      ]
    : [extension(OID.basicConstraints, true, sequence())];

  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    sequence(oid(OID.ecdsaWithSha256)),
    name(issuerName),
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name(options.subject),
    spkiDer,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: signingKey, dsaEncoding: 'der' });
  const der = sequence(tbs, sequence(oid(OID.ecdsaWithSha256)), bitString(signature));

  return {
    certificatePem: toPem('CERTIFICATE', der),
    privateKeyPem,
    publicKeyPem,
    certificateId: createHash('sha256').update(der).digest('hex'),
    subject: options.subject,
    keyPair,
  };
}

/** Key encodings, computed once per key pair: a shared pair makes bulk issuance cost one signature each. */
const keyEncodings = new WeakMap<KeyPair, { privateKeyPem: string; publicKeyPem: string; spkiDer: Buffer }>();

function exported(keyPair: KeyPair): { privateKeyPem: string; publicKeyPem: string; spkiDer: Buffer } {
  let cached = keyEncodings.get(keyPair);
  if (cached === undefined) {
    cached = {
      privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: keyPair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      spkiDer: keyPair.publicKey.export({ type: 'spki', format: 'der' }),
    };
    keyEncodings.set(keyPair, cached);
  }
  return cached;
}

/** A PKCS#10 certificate signing request (PEM) for `subject`, signed with the key pair's private key. */
export function createCsr(subject: string, keyPair: KeyPair = generateKeyPair()): string {
  const info = sequence(integer(Buffer.from([0])), name(subject), exported(keyPair).spkiDer, tlv(0xa0, Buffer.alloc(0)));
  const signature = sign('sha256', info, { key: keyPair.privateKey, dsaEncoding: 'der' });
  return toPem('CERTIFICATE REQUEST', sequence(info, sequence(oid(OID.ecdsaWithSha256)), bitString(signature)));
}

/** The parts of a PKCS#10 request a CA needs: the signed info, its public key (SPKI DER) and signature. */
export function parseCsr(pem: string): { readonly info: Buffer; readonly subjectPublicKeyInfo: Buffer; readonly signature: Buffer } {
  const der = pemToDer(pem);
  const [info, , signatureBits] = children(der, 0);
  const [, , spki] = children(info.bytes, 0);
  if (info === undefined || spki === undefined || signatureBits === undefined || der[0] !== 0x30) throw new Error('not a PKCS#10 request');
  return { info: info.bytes, subjectPublicKeyInfo: spki.bytes, signature: signatureBits.content.subarray(1) };
}

interface Element {
  /** The whole TLV. */
  readonly bytes: Buffer;
  readonly content: Buffer;
}

/** The TLV elements inside the constructed element at `offset` of `der`. */
function children(der: Buffer, offset: number): Element[] {
  const outer = readTlv(der, offset);
  const elements: Element[] = [];
  let at = 0;
  while (at < outer.content.length) {
    const element = readTlv(outer.content, at);
    elements.push(element);
    at += element.bytes.length;
  }
  return elements;
}

function readTlv(der: Buffer, offset: number): Element {
  if (offset + 2 > der.length) throw new Error('truncated DER');
  let length = der[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i];
    header += count;
  }
  if (offset + header + length > der.length) throw new Error('truncated DER');
  return { bytes: der.subarray(offset, offset + header + length), content: der.subarray(offset + header, offset + header + length) };
}

/** The AWS IoT certificate id of a PEM certificate: SHA-256 of its DER bytes, lowercase hex. */
export function certificateIdOf(pem: string): string {
  return createHash('sha256').update(pemToDer(pem)).digest('hex');
}

export function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// --- minimal DER ---------------------------------------------------------------------------------

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
} as const;

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) {
    header = Buffer.from([tag, length]);
  } else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

function sequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

function integer(bigEndian: Buffer): Buffer {
  return tlv(0x02, bigEndian[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bigEndian]) : bigEndian);
}

function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

function octetString(bytes: Buffer): Buffer {
  return tlv(0x04, bytes);
}

function utf8String(value: string): Buffer {
  return tlv(0x0c, Buffer.from(value, 'utf8'));
}

/** UTCTime (YYMMDDHHMMSSZ): valid for years 1950-2049, which test certificates stay within. */
function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2025-01-01T00:00:00.000Z
  const text = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0] + parts[1]];
  for (const part of parts.slice(2)) {
    const base128: number[] = [part & 0x7f];
    for (let n = part >>> 7; n > 0; n >>>= 7) base128.unshift(0x80 | (n & 0x7f));
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** Context-specific, constructed, explicit tag `[n]`. */
function explicit(n: number, content: Buffer): Buffer {
  return tlv(0xa0 | n, content);
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}
