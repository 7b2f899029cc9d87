/**
 * SMSC delivery receipts: a deliver_sm whose esm_class says "MC delivery receipt", with the
 * receipted message's id and final state in TLVs (SMPP 3.4 receipted_message_id, message_state)
 * and/or in the de-facto text format of SMPP 3.4 Appendix B:
 * `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...`
 */

/** esm_class bits 2-5 hold the message type; 0b0001 there is an MC (SMSC) delivery receipt. */
const MESSAGE_TYPE_MASK = 0x3c;
const MC_DELIVERY_RECEIPT = 0x04;

/** SMPP message_state values (TLV 0x0427) as the receipt text writes them. */
const STAT_BY_MESSAGE_STATE: Readonly<Record<number, string>> = {
  0: 'SCHEDULED',
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
  9: 'SKIPPED',
};

/** Spellings some SMSCs use instead of the seven-letter words. */
const STAT_ALIASES: Readonly<Record<string, string>> = {
  DELIVERED: 'DELIVRD',
  UNDELIVERABLE: 'UNDELIV',
  ACCEPTED: 'ACCEPTD',
  REJECTED: 'REJECTD',
};

/** Final states and what they mean for core; other states (ENROUTE, ACCEPTD, UNKNOWN...) are kept but not reported. */
const OUTCOME_BY_STAT: Readonly<Record<string, 'delivered' | 'failed'>> = {
  DELIVRD: 'delivered',
  UNDELIV: 'failed',
  EXPIRED: 'failed',
  DELETED: 'failed',
  REJECTD: 'failed',
};

/** What the plugin keeps of a receipt (storage collection `receipts`): never the number or any text. */
export interface DeliveryReceipt {
  /** The message_id the SMSC gave in its submit_sm_resp (of the last part of a long message). */
  gatewayMessageId: string;
  /** The receipt's state word: DELIVRD, UNDELIV, EXPIRED, DELETED, REJECTD, ACCEPTD, ENROUTE, UNKNOWN... */
  status: string;
  /** When the receipt arrived (ISO 8601). */
  at: string;
  /** The receipt's `err:` code, when it gives one. */
  error?: string;
}

export type ReceiptFields = Omit<DeliveryReceipt, 'at'>;

/** True when a deliver_sm's esm_class marks it as an SMSC delivery receipt (not a message from a phone). */
export function isDeliveryReceipt(esmClass: unknown): boolean {
  return typeof esmClass === 'number' && (esmClass & MESSAGE_TYPE_MASK) === MC_DELIVERY_RECEIPT;
}

/** `delivered` / `failed` for a final state, undefined for the others. */
export function receiptOutcome(status: string): 'delivered' | 'failed' | undefined {
  return OUTCOME_BY_STAT[status];
}

/**
 * Reads a receipt's id, state and error from a decoded deliver_sm: the TLVs when present, else
 * the receipt text. Undefined when neither gives an id and a state. Never throws.
 */
export function parseReceipt(pdu: Record<string, unknown>): ReceiptFields | undefined {
  try {
    const text = messageText(pdu.short_message) || messageText(pdu.message_payload);
    const field = (name: string) => new RegExp(`(?:^|\\s)${name}:\\s*(\\S+)`, 'i').exec(text)?.[1];

    const tlvId = typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id.trim() : '';
    const gatewayMessageId = tlvId || field('id');
    const tlvState = typeof pdu.message_state === 'number' ? STAT_BY_MESSAGE_STATE[pdu.message_state] : undefined;
    const textStat = field('stat')?.toUpperCase();
    const status = tlvState ?? (textStat ? (STAT_ALIASES[textStat] ?? textStat) : undefined);
    if (!gatewayMessageId || !status) return undefined;

    const receipt: ReceiptFields = { gatewayMessageId, status };
    const error = field('err');
    if (error) receipt.error = error;
    return receipt;
  } catch {
    return undefined;
  }
}

/** The text of a short_message or message_payload as the library decodes it ({ message }, a Buffer or a string). */
function messageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (value && typeof value === 'object' && 'message' in value) return messageText((value as { message: unknown }).message);
  return '';
}
