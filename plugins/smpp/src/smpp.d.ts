/**
 * The few parts of the `smpp` package (0.5.1, CommonJS, no types of its own) this plugin and its
 * tests use. PDU parameters keep the SMPP specification's names (`system_id`, `short_message`...).
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    type PduCallback = (pdu: PDU) => void;

    /** A decoded short_message: the library splits off the UDH and decodes by data_coding. */
    interface DecodedMessage {
      udh?: Buffer[];
      message: string | Buffer;
    }

    interface PDU {
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      /** Mandatory parameters and TLVs, by their specification names. */
      [parameter: string]: unknown;
      isResponse(): boolean;
      response(options?: Record<string, unknown>): PDU;
    }

    interface PDUConstructor {
      new (command: string, options?: Record<string, unknown>): PDU;
    }

    interface Session extends EventEmitter {
      readonly socket: Socket;
      /** Returns false, sending nothing, when the socket is not writable. */
      send(pdu: PDU, responseCallback?: PduCallback, sendCallback?: PduCallback): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      bind_transceiver(options: Record<string, unknown>, responseCallback?: PduCallback): boolean;
      bind_transmitter(options: Record<string, unknown>, responseCallback?: PduCallback): boolean;
      deliver_sm(options: Record<string, unknown>, responseCallback?: PduCallback): boolean;
      enquire_link(options: Record<string, unknown>, responseCallback?: PduCallback): boolean;
      unbind(options: Record<string, unknown>, responseCallback?: PduCallback): boolean;
    }

    interface Server extends NetServer {
      readonly sessions: Session[];
    }

    interface Coder {
      encode(value: string): Buffer;
      decode(value: Buffer): string;
    }
  }

  const smpp: {
    PDU: smpp.PDUConstructor;
    connect(options: { host: string; port: number }, listener?: () => void): smpp.Session;
    createServer(listener: (session: smpp.Session) => void): smpp.Server;
    /** command_status values by name, e.g. `ESME_RTHROTTLED: 0x58`. */
    errors: Record<string, number>;
    /** The library's own GSM 03.38 coder (unpacked septets), used by the tests as an independent decoder. */
    gsmCoder: { encode(value: string, encoding?: number): Buffer; decode(value: Buffer, encoding?: number): string };
    encodings: { ASCII: smpp.Coder; LATIN1: smpp.Coder; UCS2: smpp.Coder };
  };
  export = smpp;
}
