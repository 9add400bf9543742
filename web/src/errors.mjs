// Errors of the host library: AragError mirrors the C library's arag_status codes and
// carries the handle's last error message. AbortError follows the DOM convention.
import { ABI } from './abi.mjs';

/** Status names, indexed by the numeric arag_status of include/arag.h (from the module). */
export const STATUS_NAMES = Object.freeze(
  Object.entries(ABI.enums.arag_status)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => name)
);

/** Numeric status by name, e.g. Status.ARAG_E_LIMIT === 3. */
export const Status = ABI.enums.arag_status;

/** JS names of a C enum's values: the constant's name after prefix, in lower case
 * (ARAG_KERNEL_SIMD -> 'simd' for prefix 'ARAG_KERNEL_'), to its value. */
export function enumByName(cEnum, prefix) {
  return Object.freeze(
    Object.fromEntries(Object.entries(ABI.enums[cEnum]).map(([n, v]) => [n.slice(prefix.length).toLowerCase(), v]))
  );
}

export function statusName(status) {
  return STATUS_NAMES[status] || `ARAG_E_UNKNOWN_${status}`;
}

/** An error reported by the library (or by the host layer for its own checks). */
export class AragError extends Error {
  constructor(status, message, options) {
    const code = typeof status === 'string' ? status : statusName(status);
    super(message || code, options);
    this.name = 'AragError';
    this.code = code;
    this.status = typeof status === 'string' ? (Status[status] ?? -1) : status;
  }
}

/** The rejection of a cancelled operation: a DOMException named AbortError where the
 * host has DOMException (browsers, workers, Node >= 17), an Error of that name otherwise. */
export function abortError(signal) {
  const reason = signal && signal.reason;
  const msg =
    reason instanceof Error && reason.name !== 'AbortError'
      ? `The operation was aborted: ${reason.message}`
      : 'The operation was aborted';
  let err;
  if (typeof DOMException === 'function') {
    err = new DOMException(msg, 'AbortError');
  } else {
    err = new Error(msg);
    err.name = 'AbortError';
  }
  if (reason !== undefined) {
    try {
      Object.defineProperty(err, 'cause', { value: reason, configurable: true });
    } catch {
      /* some DOMException implementations refuse extra properties */
    }
  }
  return err;
}

export function isAbortError(e) {
  return !!e && typeof e === 'object' && e.name === 'AbortError';
}
