import type { DocumentType, IdVerifier, ValidationResult } from '../kinds/id-verifier.js';
import type { OutboxEntry, SendResult, SmsGateway, SmsMessage } from '../kinds/sms-gateway.js';

/**
 * In-memory SMS gateway: keeps every message, can be told to fail. For core tests that need a
 * gateway but are not about one.
 */
export class InMemorySmsGateway implements SmsGateway {
  readonly sent: (SmsMessage & { createdAt: Date })[] = [];
  failNext: SendResult | undefined;

  async send(message: SmsMessage): Promise<SendResult> {
    if (this.failNext) {
      const result = this.failNext;
      this.failNext = undefined;
      return result;
    }
    this.sent.unshift({ ...message, createdAt: new Date() });
    return { status: 'accepted', gatewayMessageId: `mem-${this.sent.length}`, parts: 1 };
  }

  async outbox(limit = 100): Promise<OutboxEntry[]> {
    return this.sent.slice(0, limit).map(({ to, text, createdAt }) => ({ to, text, createdAt }));
  }
}

/**
 * In-memory ID verifier with one document type, `test-id`: eight digits whose sum is a multiple
 * of 10 (so a test can make valid and invalid numbers without a real algorithm).
 */
export class FakeIdVerifier implements IdVerifier {
  documentTypes(): DocumentType[] {
    return [{ code: 'test-id', labelKey: 'testId.label', inputMask: '9999 9999', example: '1234 5645' }];
  }

  validate(documentType: string, input: string): ValidationResult {
    if (documentType !== 'test-id') return { valid: false, reason: 'unknown-type' };
    if (typeof input !== 'string' || input.trim() === '') return { valid: false, reason: 'empty' };
    const digits = input.replace(/[\s-]/g, '');
    if (!/^\d+$/.test(digits)) return { valid: false, reason: 'format' };
    if (digits.length !== 8) return { valid: false, reason: 'length' };
    const sum = [...digits].reduce((total, d) => total + Number(d), 0);
    return sum % 10 === 0 ? { valid: true, normalized: digits } : { valid: false, reason: 'checksum' };
  }

  mask(_documentType: string, normalized: string): string {
    return `XXXX${normalized.slice(-4)}`;
  }
}
