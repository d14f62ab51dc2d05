/**
 * A value at once, or a promise of it where storage must be read first. Reads
 * that find everything cached (most reads of a snapshot or a history) then
 * never wait: each await costs more than the work it would wait for there.
 * A caller that must wait resumes the same work, nothing done twice.
 */
export type Soon<T> = T | Promise<T>;
