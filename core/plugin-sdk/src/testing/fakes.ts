import type { DocumentType, IdVerifier, ValidationResult } from '../kinds/id-verifier.js';
import type { OutboxEntry, SendResult, SmsGateway, SmsMessage } from '../kinds/sms-gateway.js';
import { smsParts } from '../sms.js';

/**
 * In-memory SMS gateway: keeps every message, can be told to fail. For core tests that need a
 * gateway but are not about one.
 */
export class InMemorySmsGateway implements SmsGateway {
  /** Every message sent, newest first. */
  readonly sent: (SmsMessage & { createdAt: Date })[] = [];
  /** Set it to make the next send return this result (once) instead of accepting. */
  failNext: SendResult | undefined;

  /** Keeps the message and accepts it, with the part count of `smsParts`; or returns `failNext`. */
  async send(message: SmsMessage): Promise<SendResult> {
    if (this.failNext) {
      const result = this.failNext;
      this.failNext = undefined;
      return result;
    }
    this.sent.unshift({ ...message, createdAt: new Date() });
    return { status: 'accepted', gatewayMessageId: `mem-${this.sent.length}`, parts: smsParts(message.text).parts };
  }

  /** The messages kept, newest first, at most `limit`. */
  async outbox(limit = 100): Promise<OutboxEntry[]> {
    return this.sent.slice(0, limit).map(({ to, text, createdAt }) => ({ to, text, createdAt }));
  }
}

/**
 * In-memory ID verifier with one document type, `test-id`: eight digits whose sum is a multiple
 * of 10 (so a test can make valid and invalid numbers without a real algorithm).
 */
export class FakeIdVerifier implements IdVerifier {
  /** One type, `test-id`. */
  documentTypes(): DocumentType[] {
    return [{ code: 'test-id', labelKey: 'testId.label', inputMask: '9999 9999', example: '1234 5645' }];
  }

  /** Eight digits (spaces and dashes forgiven) whose sum is a multiple of 10. */
  validate(documentType: string, input: string): ValidationResult {
    if (documentType !== 'test-id') return { valid: false, reason: 'unknown-type' };
    if (typeof input !== 'string' || input.trim() === '') return { valid: false, reason: 'empty' };
    const digits = input.replace(/[\s-]/g, '');
    if (!/^\d+$/.test(digits)) return { valid: false, reason: 'format' };
    if (digits.length !== 8) return { valid: false, reason: 'length' };
    const sum = [...digits].reduce((total, d) => total + Number(d), 0);
    return sum % 10 === 0 ? { valid: true, normalized: digits } : { valid: false, reason: 'checksum' };
  }

  /** `XXXX` and the last four digits. */
  mask(_documentType: string, normalized: string): string {
    return `XXXX${normalized.slice(-4)}`;
  }
}
