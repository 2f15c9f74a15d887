/**
 * How terway keeps state in files: {@link dev.terway.store.RecordDirectory}, the one writer of record
 * directories (atomic replace, owner-only modes, no symbolic link followed, an explicit fsync policy per
 * store). The stores themselves (leases, the setup record, attachment records, pending releases) keep their
 * formats next to the code that owns them.
 */
package dev.terway.store;
