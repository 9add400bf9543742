/* Index operations for the library's own containers; not public API. */
#ifndef ARAG_INDEX_PRIVATE_H
#define ARAG_INDEX_PRIVATE_H

#include "arag.h"

/* Overwrites the row of an id already in an f32 index with a row in stored form
 * (as arag_index_vector copied it out): no normalization, so a row read out and
 * written back keeps its bits. ARAG_E_NOT_FOUND for an absent id, ARAG_E_INVALID
 * for an int8 index. */
arag_status arag_index_put_stored(arag_index *ix, const char *id, size_t id_len, const float *row,
                                  uint32_t dim);

/* Removes the row of an id added last (rolling back an insert): when it is in the
 * last slot the slot is freed as if never used, else soft-deleted as by
 * arag_index_remove. */
arag_status arag_index_unadd(arag_index *ix, const char *id, size_t id_len);

#endif
