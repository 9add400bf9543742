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
 * w (body_bytes bytes; (size_t)-1 when that overflows); with live_only, only the live
 * rows, in slot order (as if compacted). load_body reads one from r (stopping at its
 * end) and replaces ix's contents with it, taking every allocation from budget
 * first; on any error ix is unchanged, with the message in its last error. ix keeps
 * its limits and kernel. */
size_t arag_index_body_bytes(const arag_index *ix, int live_only);
void arag_index_write_body(const arag_index *ix, arag_writer *w, int live_only);
arag_status arag_index_load_body(arag_index *ix, arag_reader *r, arag_budget *budget);
/* Row type, metric and whether an f32 copy is kept (the shape a container checks). */
void arag_index_shape(const arag_index *ix, arag_dtype *dtype, arag_metric *metric, int *keep_f32);
/* Slots in use, live and soft-deleted. */
uint32_t arag_index_slots(const arag_index *ix);

/* Fills an empty cosine index (its dim and dtype, no f32 copy) with n live rows used
 * where they lie, in memory the caller keeps unchanged while the index lives: rows (n
 * rows of the index's stride, dim + zero padding: floats, or int8 with n floats in
 * scales), ids[i] of id_lens[i] bytes (NUL-terminated, inside [arena, arena +
 * arena_len)) and arag_id_hash id_hashes[i]. The first growth copies the rows into the index's own;
 * ids in the arena are never freed by the index. Checks: ids non-empty, within max_id_bytes,
 * unique; rows usable and scales (below), but for the first rows_checked rows and
 * scales_checked scales, which the caller found usable. The index's own arrays come from
 * budget. On error the index stays empty, with the message in its last error. */
arag_status arag_index_borrow_rows(arag_index *ix, uint32_t n, char *const *ids,
                                   const uint32_t *id_lens, const uint32_t *id_hashes, void *rows,
                                   float *scales, uint32_t rows_checked, uint32_t scales_checked,
                                   char *arena, size_t arena_len, arag_budget *budget);
/* What borrow_rows checks of one stored row of a cosine index (stride values or bytes:
 * dim, then padding): an f32 row finite with every value within [-1, 1] (a little
 * rounding allowed: a unit row), an int8 row any; padding zero. And of an int8 row's
 * scale: finite, 0 to 2e17. 1 when usable. */
int arag_index_row_usable(arag_dtype dtype, uint32_t dim, uint32_t stride, const void *row);
int arag_index_scale_usable(float scale);
/* Row stride of the index: floats per f32 row (f32) or bytes per int8 row (int8). */
uint32_t arag_index_stride(const arag_index *ix);

#endif
