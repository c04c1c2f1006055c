/** What a uTP connection core (connection.ts) reports to the layer above. */
export type UtpState = 'syn-sent' | 'connected' | 'closed';
export type UtpCloseReason = 'fin' | 'reset' | 'refused' | 'timeout' | 'destroyed';

export type UtpEvent =
  | { type: 'connected' }
  | { type: 'data'; data: Uint8Array }
  /** The peer's FIN arrived with everything before it: no more data. */
  | { type: 'end' }
  /** The send queue fell below `sendBufferBytes` after `write` returned false. */
  | { type: 'drained' }
  | { type: 'closed'; reason: UtpCloseReason };

export interface UtpPoll {
  packets: Uint8Array[];
  events: UtpEvent[];
  /** When `poll` must next be called (microseconds), or undefined once closed. */
  nextDeadline: number | undefined;
}
