/* Index operations for the library's own containers; not public API. */
#ifndef ARAG_INDEX_PRIVATE_H
#define ARAG_INDEX_PRIVATE_H

#include "arag.h"
#include "snapshot_io.h"

/* The stored forms of one row as the index keeps them (the f32 row, the int8 row
 * and its scale), for a roll back to write back bit for bit: row_save copies them
 * out (arag_index_row_bytes bytes), row_load into the row of an id still present.
 * ARAG_E_NOT_FOUND for an absent id. */
size_t arag_index_row_bytes(const arag_index *ix);
arag_status arag_index_row_save(const arag_index *ix, const char *id, size_t id_len, void *buf);
arag_status arag_index_row_load(arag_index *ix, const char *id, size_t id_len, const void *buf);

/* Removes the row of an id added last (rolling back an insert): when it is in the
 * last slot the slot is freed as if never used, else soft-deleted as by
 * arag_index_remove. */
arag_status arag_index_unadd(arag_index *ix, const char *id, size_t id_len);

/* 1 when the index holds a row for id (no error message is written: a miss is an
 * answer, not a failure). */
int arag_index_has(const arag_index *ix, const char *id, size_t id_len);

/* The index's snapshot body (the "INDX" body of snapshot_io.h's container), for the
 * containers that hold an index inside theirs (the catalog). write_body appends it to
 * w (about body_bytes bytes; (size_t)-1 when that overflows). load_body reads one from r
 * (stopping at its end) and replaces ix's contents with it, taking every allocation
 * from budget first; on any error ix is unchanged, with the message in its last
 * error. ix keeps its limits and kernel. */
size_t arag_index_body_bytes(const arag_index *ix);
void arag_index_write_body(const arag_index *ix, arag_writer *w);
arag_status arag_index_load_body(arag_index *ix, arag_reader *r, arag_budget *budget);

#endif
