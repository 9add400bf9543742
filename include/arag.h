/*
 * arag: agentic retrieval-augmented recommendation (ARAG) for WebAssembly hosts.
 *
 * One public header. Conventions:
 *   - prefix arag_, opaque handles with create/free pairs, no global state;
 *   - every call returns an arag_status; each handle keeps its last error (arag_error:
 *     the status and a message), and a create call fills the arag_error it is given;
 *   - strings are UTF-8 (pointer, length); the caller owns what it passes, the
 *     library owns what it returns until the matching free (or the next call on
 *     the same handle, where stated);
 *   - every input is bounded by a limit the caller can read and set; past a limit
 *     a call fails with ARAG_E_LIMIT and changes nothing.
 *
 * The pipeline core is sans-IO: it never blocks and performs no I/O. Agent
 * requests leave through the engine's fetch callback (in WebAssembly builds the
 * imported function env.arag_host_fetch); answers come back via arag_deliver().
 *
 * Threads (native builds; the library starts none and locks nothing). A handle is used
 * by one thread at a time, except that calls which only read it may run on any number
 * of threads at once while no thread changes it:
 *   - arag_index: arag_index_search_r, count, dim, slot, id, vector, get_limits,
 *     memory_bytes and snapshot may be shared; arag_index_search too, but a failing one
 *     writes the index's last error (a data race between threads that fail at once):
 *     threads use search_r, whose message goes to the caller's buffer. add, remove,
 *     compact, restore and set_*: one thread, with no reader meanwhile.
 *   - arag_catalog: engines on any number of threads may recommend from one catalog
 *     (arag_recommend_start and arag_context_vector only read it), and its index,
 *     arag_catalog_index (const), is shared as above; count, memory_bytes and snapshot
 *     may be shared too. item_json (it keeps its answer in the catalog), add_json,
 *     remove and restore: one thread, with no reader meanwhile.
 *   - arag_history: one shopper's; one thread at a time.
 *   - arag_engine, with its sessions: one thread at a time; its fetch callback runs on
 *     the thread that called into the engine.
 * A failing call writes its handle's last error, so one is read on the thread whose call
 * failed, before that handle's next call.
 */
#ifndef ARAG_H
#define ARAG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's API: with GCC and clang the native build compiles everything else
 * with hidden visibility, so a shared libarag exports these functions and nothing more. */
#if defined(__GNUC__) || defined(__clang__)
#define ARAG_API __attribute__((visibility("default")))
#else
#define ARAG_API
#endif

#define ARAG_VERSION_MAJOR 0
#define ARAG_VERSION_MINOR 1
#define ARAG_VERSION_PATCH 0

typedef enum arag_status {
  ARAG_OK = 0,
  ARAG_E_INVALID = 1,   /* bad argument (NULL, empty id, bad enum, bad config value) */
  ARAG_E_NOMEM = 2,     /* allocation failed; nothing changed */
  ARAG_E_LIMIT = 3,     /* an input is past a configured limit */
  ARAG_E_DIM = 4,       /* vector dimension does not match */
  ARAG_E_NONFINITE = 5, /* NaN or infinity in a vector */
  ARAG_E_NOT_FOUND = 6, /* unknown id / session / request */
  ARAG_E_CORRUPT = 7,   /* snapshot bytes truncated, bad magic or checksum */
  ARAG_E_VERSION = 8,   /* snapshot from an unsupported format version */
  ARAG_E_JSON = 9,      /* malformed or off-schema JSON input */
  ARAG_E_STATE = 10,    /* call not valid in the object's current state */
  ARAG_E_CANCELLED = 11 /* the session was cancelled */
} arag_status;

/* Static name of a status, e.g. "ARAG_E_LIMIT: input past a configured limit". */
ARAG_API const char *arag_strerror(arag_status status);

/* An error: its status and a message that starts with the status's name and says what
 * failed, e.g. "ARAG_E_LIMIT: dim 5000 is above max_dim 4096". Each handle keeps the
 * last error of the calls that change it (arag_*_last_error returns its message;
 * successful calls leave it, like errno; for a NULL handle the message is
 * "ARAG_E_INVALID: NULL handle"). Calls on a const handle write nothing into it, so
 * several threads may make them at once: their status is their whole answer. A failed
 * create has no handle to keep its error, so each create call has a variant ending in
 * _err that also fills an arag_error the caller passes (NULL: none): cleared on success,
 * the status and the reason on failure. No global or thread-local state is involved,
 * which suits a WebAssembly host: it reads the struct at the offsets arag_abi_json
 * gives. */
#define ARAG_ERROR_MESSAGE_BYTES 256
typedef struct arag_error {
  arag_status status;                     /* ARAG_OK when there has been no error */
  char message[ARAG_ERROR_MESSAGE_BYTES]; /* NUL-terminated; "" when there has been none */
} arag_error;

/* The module described as data for bindings: the values of this header's enums (every
 * arag_status by name) and the layout of arag_limits and arag_error, as JSON:
 * {"enums": {"arag_status": {"ARAG_OK": 0, ...}, "arag_dtype": {...}, ...},
 *  "structs": {"arag_limits": {"size": 20, "fields": [{"name", "offset", "size",
 *  "type"}]}, ...}}. The compiler fills in every number. Free with arag_free; NULL when
 * out of memory. */
ARAG_API char *arag_abi_json(void);
ARAG_API const char *arag_version(void);

/* Buffers returned by the library (snapshots, JSON) are freed with this. */
ARAG_API void arag_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct arag_limits {
  uint32_t max_dim;        /* vector dimension; default 4096 */
  uint32_t max_rows;       /* rows in one index / items in one catalog; default 1,000,000 */
  uint32_t max_id_bytes;   /* bytes of one id; default 256 */
  uint32_t max_text_bytes; /* bytes of one text field; default 65,536 */
  /* Bytes one snapshot restore may allocate for what it restores (counted as requested
   * from the allocator, before it asks); default 1 GiB. Past it the restore fails with
   * ARAG_E_LIMIT and changes nothing, so crafted counts in a snapshot cannot run a
   * host out of memory: a worker holding a 128 MB isolate sets it well below that. */
  uint32_t max_restore_bytes;
} arag_limits;

ARAG_API void arag_limits_default(arag_limits *out);

/* ------------------------------------------------------------------------ */
/* Flat vector index                                                         */
/* ------------------------------------------------------------------------ */

typedef enum arag_dtype { ARAG_F32 = 0, ARAG_I8 = 1 } arag_dtype;
typedef enum arag_metric { ARAG_COSINE = 0, ARAG_DOT = 1 } arag_metric;
/* Kernel selection; results are identical in ranking, AUTO picks SIMD when built with it.
 * ARAG_KERNEL_SIMD is ARAG_E_INVALID in builds without SIMD128 (native builds). */
typedef enum arag_kernel {
  ARAG_KERNEL_AUTO = 0,
  ARAG_KERNEL_SCALAR = 1,
  ARAG_KERNEL_SIMD = 2
} arag_kernel;

typedef struct arag_index arag_index;

/* limits may be NULL (defaults). With ARAG_COSINE, rows are L2-normalized on insert
 * and queries on search; a zero vector is accepted and scores 0 against everything.
 * With ARAG_I8, rows are quantized with a symmetric per-row scale; keep_f32 = 1 also
 * keeps an f32 copy so searches can re-rank exactly (ignored for ARAG_F32).
 * max_rows bounds the slots in use, live and soft-deleted. Vectors with NaN/Inf, or
 * whose squared norm overflows float, are refused with ARAG_E_NONFINITE. */
ARAG_API arag_status arag_index_create(uint32_t dim, arag_dtype dtype, arag_metric metric,
                                       int keep_f32, const arag_limits *limits, arag_index **out);
/* The same; on failure err (may be NULL) says why: dim 0 or past max_dim, an unknown
 * dtype or metric, limits that are 0 or past what the index supports, no memory. */
ARAG_API arag_status arag_index_create_err(uint32_t dim, arag_dtype dtype, arag_metric metric,
                                           int keep_f32, const arag_limits *limits,
                                           arag_index **out, arag_error *err);
ARAG_API void arag_index_free(arag_index *ix);
ARAG_API const char *arag_index_last_error(const arag_index *ix);

ARAG_API arag_status arag_index_get_limits(const arag_index *ix, arag_limits *out);
/* Fails with ARAG_E_LIMIT if the index already holds more than the new limits allow. */
ARAG_API arag_status arag_index_set_limits(arag_index *ix, const arag_limits *limits);
ARAG_API arag_status arag_index_set_kernel(arag_index *ix, arag_kernel kernel);

/* Insert, or replace the vector of an existing id (update keeps the slot). */
ARAG_API arag_status arag_index_add(arag_index *ix, const char *id, size_t id_len, const float *vec,
                                    uint32_t dim);
/* Soft delete; the slot is reused only after compaction. */
ARAG_API arag_status arag_index_remove(arag_index *ix, const char *id, size_t id_len);
/* Drop deleted rows and trim spare capacity. External ids never change; slots may. */
ARAG_API arag_status arag_index_compact(arag_index *ix);

ARAG_API uint32_t arag_index_count(const arag_index *ix); /* live rows */
ARAG_API uint32_t arag_index_dim(const arag_index *ix);
ARAG_API size_t arag_index_memory_bytes(const arag_index *ix);
/* Slot of an id (stable until the next compaction); ARAG_E_NOT_FOUND if absent. */
ARAG_API arag_status arag_index_slot(const arag_index *ix, const char *id, size_t id_len,
                                     uint32_t *slot);
/* Id at a slot; NULL for a free or deleted slot. Valid until the index changes. */
ARAG_API const char *arag_index_id(const arag_index *ix, uint32_t slot, size_t *id_len);
/* Copy of the stored (normalized, dequantized for int8) vector of a slot. */
ARAG_API arag_status arag_index_vector(const arag_index *ix, uint32_t slot, float *out,
                                       uint32_t dim);

/* Exact top-k. Ties broken by ascending slot. allow (may be NULL) restricts the
 * search to those slots (a candidate set; duplicates and deleted slots are skipped,
 * a slot past the end is ARAG_E_INVALID). rerank: for int8 with keep_f32, the
 * shortlist of rerank*k rows is re-scored in f32 (0 disables; ignored otherwise).
 * Writes *out_n <= k results, best first. The index is only read (a search allocates
 * its own scratch); a failure writes its last error. */
ARAG_API arag_status arag_index_search(const arag_index *ix, const float *query, uint32_t dim,
                                       uint32_t k, const uint32_t *allow, uint32_t n_allow,
                                       uint32_t rerank, uint32_t *out_slots, float *out_scores,
                                       uint32_t *out_n);
/* The same search writing nothing into the index: a failure's message goes to err
 * (err_len bytes, NUL-terminated; "" on success; err may be NULL). Threads sharing an
 * index search with this one. */
ARAG_API arag_status arag_index_search_r(const arag_index *ix, const float *query, uint32_t dim,
                                         uint32_t k, const uint32_t *allow, uint32_t n_allow,
                                         uint32_t rerank, uint32_t *out_slots, float *out_scores,
                                         uint32_t *out_n, char *err, size_t err_len);

/* Snapshot: versioned, checksummed bytes (free with arag_free). */
ARAG_API arag_status arag_index_snapshot(const arag_index *ix, uint8_t **out, size_t *out_len);
/* Replace the contents of ix with a snapshot, including its dim, dtype, metric and
 * keep_f32 (ix keeps its limits and kernel). Truncated or altered bytes give
 * ARAG_E_CORRUPT, another format version ARAG_E_VERSION, contents past ix's limits
 * ARAG_E_LIMIT. On any error ix is untouched. */
ARAG_API arag_status arag_index_restore(arag_index *ix, const uint8_t *bytes, size_t len);

/* ------------------------------------------------------------------------ */
/* Built-in text embedder: feature hashing of word unigrams, bigrams and       */
/* character trigrams, sublinear tf, L2-normalized. No model, no network.      */
/* ------------------------------------------------------------------------ */

#define ARAG_EMBED_DEFAULT_DIM 512

/* Writes dim floats to out. Empty text gives a zero vector. Deterministic. */
ARAG_API arag_status arag_embed_text(const char *text, size_t len, uint32_t dim, float *out);

/* ------------------------------------------------------------------------ */
/* Catalog: items with metadata and vectors (an index inside).               */
/* ------------------------------------------------------------------------ */

/* Item JSON: {"id": str, "title": str, "text"?: str, "categories"?: [str],
 *             "brand"?: str, "price"?: number, "popularity"?: number,
 *             "related"?: {"<item id>": number, ...}, "group"?: str,
 *             "repeat_purchase"?: bool, "vector"?: [number]}
 * "related": items bought together with this one and a weight each (say, how many
 * shoppers bought both; finite, >= 0), at most 64 entries (more: ARAG_E_LIMIT),
 * ids within max_id_bytes. Catalog-side data: the offline reasoner names it as
 * evidence; history snapshots do not keep it. "popularity" (finite, say sales or
 * views): the offline reasoner weighs an item without it at the candidates' median.
 * "group": the item's variant family (one product in its sizes, shades, packs): the shelf
 * shows one item of a group. "repeat_purchase": shoppers buy it again, so the shelf may
 * show it and its variants after a purchase (config "shelf"). */
typedef struct arag_catalog arag_catalog;

/* dim: vector dimension (ARAG_EMBED_DEFAULT_DIM for the built-in embedder). The
 * index stores f32 rows. */
ARAG_API arag_status arag_catalog_create(uint32_t dim, const arag_limits *limits,
                                         arag_catalog **out);
/* The same with the index's row type: ARAG_F32, or ARAG_I8 (dim + 4 bytes per item
 * instead of 4 * dim; searches score the int8 rows, and the vectors the pipeline
 * reads back are dequantized). ARAG_E_INVALID for another dtype. */
ARAG_API arag_status arag_catalog_create_dtype(uint32_t dim, arag_dtype dtype,
                                               const arag_limits *limits, arag_catalog **out);
/* arag_catalog_create_dtype; on failure err (may be NULL) says why (as
 * arag_index_create_err). */
ARAG_API arag_status arag_catalog_create_err(uint32_t dim, arag_dtype dtype,
                                             const arag_limits *limits, arag_catalog **out,
                                             arag_error *err);
ARAG_API void arag_catalog_free(arag_catalog *cat);
ARAG_API const char *arag_catalog_last_error(const arag_catalog *cat);
/* One item object, or an array of them, or JSON lines. All-or-nothing. */
ARAG_API arag_status arag_catalog_add_json(arag_catalog *cat, const char *json, size_t len);
ARAG_API arag_status arag_catalog_remove(arag_catalog *cat, const char *id, size_t id_len);
ARAG_API uint32_t arag_catalog_count(const arag_catalog *cat);
/* The catalog's index, read-only (valid until the catalog changes or is freed): items
 * change through the catalog, which keeps its items, id map and word counts in step. */
ARAG_API const arag_index *arag_catalog_index(const arag_catalog *cat);
/* One item as JSON, the fields of the item format that it has (no vector): {"id",
 * "title", "text"?, "brand"?, "categories"?, "price"?, "popularity"?, "related"?}.
 * Owned by the catalog until the next call on it. ARAG_E_NOT_FOUND for an unknown id. */
ARAG_API arag_status arag_catalog_item_json(arag_catalog *cat, const char *id, size_t id_len,
                                            const char **json, size_t *len);
/* Bytes the catalog holds: its index (rows, ids, map), the items' metadata, its id
 * map and word counts (as requested from the allocator, without its overhead). */
ARAG_API size_t arag_catalog_memory_bytes(const arag_catalog *cat);

/* Snapshot: versioned, checksummed bytes of the whole catalog (free with arag_free):
 * every item's metadata, its vector as the index stores it (normalized f32, or int8
 * with its scale) and the word counts the offline reasoner weighs words with. Nothing
 * is parsed or embedded again on restore, so a restored catalog recommends exactly as
 * the one it was taken from (the same result bytes), in a fraction of the time a
 * build from JSON takes. About 4 * dim (f32) or dim + 4 (int8) bytes per item plus
 * its text. Items come in slot order, without the rows of removed items. */
ARAG_API arag_status arag_catalog_snapshot(const arag_catalog *cat, uint8_t **out, size_t *out_len);
/* Replaces the contents of cat with a snapshot, including its dim and dtype (cat keeps
 * its limits). Truncated, altered or inconsistent bytes and another kind of snapshot
 * give ARAG_E_CORRUPT, another format version ARAG_E_VERSION, contents past cat's
 * limits (max_dim, max_rows, max_id_bytes, max_text_bytes) or a restore needing more
 * than max_restore_bytes ARAG_E_LIMIT (the snapshot's own length counts: checked
 * before allocating, so crafted counts cannot make it allocate more), no memory
 * ARAG_E_NOMEM. On any error cat is untouched.
 *
 * restore_take keeps the bytes: on success cat owns them (they must come from malloc;
 * it frees them) and uses the vectors and the text where they lie, so the catalog
 * takes little more memory than the snapshot; on error they stay the caller's
 * (little-endian hosts leave them unchanged; others turn the rows around in place).
 * restore copies them first (the caller keeps its bytes and may free them at once):
 * one copy more while it runs, with the checksum taken piece by piece as it copies. */
ARAG_API arag_status arag_catalog_restore_take(arag_catalog *cat, uint8_t *bytes, size_t len);
ARAG_API arag_status arag_catalog_restore(arag_catalog *cat, const uint8_t *bytes, size_t len);

/* ------------------------------------------------------------------------ */
/* History: one user's events, an index over their vectors.                  */
/* ------------------------------------------------------------------------ */

/* Event JSON: {"id": str, "ts": number, "kind"?: "view"|"cart"|"purchase"|"rating",
 *              "rating"?: number, and the item fields above (title, text, ...)}.
 * An event without item text takes it from the catalog passed to recommend. */
typedef struct arag_history arag_history;

ARAG_API arag_status arag_history_create(uint32_t dim, const arag_limits *limits,
                                         arag_history **out);
/* The same; on failure err (may be NULL) says why (as arag_index_create_err). */
ARAG_API arag_status arag_history_create_err(uint32_t dim, const arag_limits *limits,
                                             arag_history **out, arag_error *err);
ARAG_API void arag_history_free(arag_history *h);
ARAG_API const char *arag_history_last_error(const arag_history *h);
/* One event, an array, or JSON lines. All-or-nothing. */
ARAG_API arag_status arag_history_add_json(arag_history *h, const char *json, size_t len);
ARAG_API void arag_history_clear(arag_history *h);
ARAG_API uint32_t arag_history_count(const arag_history *h);
ARAG_API arag_status arag_history_snapshot(const arag_history *h, uint8_t **out, size_t *out_len);
/* Replaces the events with a snapshot's; all-or-nothing. A snapshot is checked as event
 * JSON is (finite numbers, limits) and within the memory budget below. */
ARAG_API arag_status arag_history_restore(arag_history *h, const uint8_t *bytes, size_t len);
/* Memory budget of one history: its events, their strings and vectors and the index
 * rows, counted generously (about 2 * 4 * dim bytes plus the text per event). Adding or
 * restoring past it fails with ARAG_E_LIMIT and changes nothing. */
#define ARAG_HISTORY_DEFAULT_MAX_BYTES ((size_t)64 << 20)
ARAG_API size_t arag_history_memory_bytes(const arag_history *h);
ARAG_API size_t arag_history_max_bytes(const arag_history *h);
/* ARAG_E_LIMIT (and no change) when the history already takes more. */
ARAG_API arag_status arag_history_set_max_bytes(arag_history *h, size_t max_bytes);

/* ------------------------------------------------------------------------ */
/* Engine and recommendation sessions                                        */
/* ------------------------------------------------------------------------ */

typedef struct arag_engine arag_engine;

/* Fetch callback: the engine asks the host to run one agent request. json is a
 * provider-neutral request {"agent", "messages":[{"role","content"}],
 * "response_schema", "max_tokens", "temperature"}; it is valid only during the
 * call. The host answers later with arag_deliver (never from inside the callback
 * is fine too: the engine is re-entrancy safe). */
typedef void (*arag_fetch_fn)(void *user, uint32_t session, uint32_t request_id, const char *json,
                              size_t len);

/* config JSON (may be NULL/empty for defaults):
 * {"backend": "offline"|"host", "theta": 0.5, "min_keep": 3, "nli_batch": 10,
 *  "max_in_flight": 6, "top_k": 50, "k": 10, "session_len": 5, "long_term_len": 50,
 *  "agents": {"uua": true, "nli": true, "csa": true, "ira": true},
 *  "max_prompt_item_chars": 300, "max_tokens": 4096, "reasoning_tokens": 0, "temperature": 0,
 *  "fallback": "offline"|"retrieval", "deadline_ms": 20000, "max_answer_bytes": 262144,
 *  "reasoner": {"nli_isim": 9, ...},
 *  "shelf": true|false|{"one_per_family": true, "hide_bought_variants": true,
 *                       "max_brand_share": 0.5, "brand_reach": 8, "size": 0}}
 * "shelf": the rules on the first k places (or "size" when not 0), after the ranker: a
 * variant family once; nothing carted or bought in the session, nor a variant of it,
 * unless "repeat_purchase"; at most max_brand_share of the places from one brand when
 * another brand's item ranks within brand_reach * k places. On by default (a
 * storefront's settings); false leaves the ranker's order as it is.
 * "reasoner" sets weights of the offline reasoner by name (any subset; the effective
 * config lists them all); an unknown name or a value out of range is refused. Its
 * "shift" (0..1, default 0.75) also weighs the retrieval context: after an interest
 * shift the older events of other categories weigh 1 - shift * share (0: off).
 * "fallback": who answers an agent whose call failed or whose answer could not be
 * used: the offline reasoner, from the same input (default), or the retrieval
 * fallbacks (no summary, retrieval score, retrieval order). "deadline_ms" (host
 * backend; 0: none): when it passes, the agents still waiting are answered by the
 * fallback and the recommendation finishes; checked on every arag_deliver, and a
 * host should also call arag_session_expire from a timer (the engine cannot wake up
 * by itself). "max_answer_bytes" (engine only): a longer answer is cut before it is
 * parsed (the complete items of a cut list are kept). Each call's max_tokens is sized
 * from what its answer needs (UUA 500, CSA 400, NLI 100 + 60 per candidate of the
 * batch, IRA 100 + 40 per candidate), plus "reasoning_tokens" (room for a reasoning
 * model's thoughts), at most "max_tokens". */
ARAG_API arag_status arag_engine_create(const char *config_json, size_t len, arag_engine **out);
/* The same; on failure err (may be NULL) says why, naming the config key (the message
 * arag_engine_configure would leave), or no memory. */
ARAG_API arag_status arag_engine_create_err(const char *config_json, size_t len, arag_engine **out,
                                            arag_error *err);
ARAG_API void arag_engine_free(arag_engine *eng);
ARAG_API const char *arag_engine_last_error(const arag_engine *eng);
/* Native hosts set a callback. In wasm builds the default is env.arag_host_fetch. */
ARAG_API void arag_engine_set_fetch(arag_engine *eng, arag_fetch_fn fn, void *user);
/* Current effective configuration as JSON (owned by the engine until next call). */
ARAG_API const char *arag_engine_config(arag_engine *eng);
/* Applies config keys onto the engine's configuration (same keys as create; sessions
 * already started keep theirs). All-or-nothing; on error the message names the key. */
ARAG_API arag_status arag_engine_configure(arag_engine *eng, const char *config_json, size_t len);

/* Start one recommendation. request JSON:
 * {"candidates"?: [id | item object], "k"?: n, "top_k"?: n, "config"?: {overrides}}
 * Without candidates, I0 is the top_k of catalog (required then) by similarity to
 * the user's context. catalog may be NULL when every candidate carries its text.
 * Requests go out through the fetch callback; offline backends answer inside. */
ARAG_API arag_status arag_recommend_start(arag_engine *eng, const arag_catalog *catalog,
                                          const arag_history *history, const char *request_json,
                                          size_t len, uint32_t *session_out);

/* The user context arag_recommend_start retrieves the catalog's top_k with: the
 * recency-weighted mean of the history's last session_len + long_term_len events, those
 * of an older interest weighed down after an interest shift (an event that names a
 * catalog item without its text takes the catalog's vector), unit
 * length; all zeros when no event has a vector. out holds dim floats, dim being the
 * recommendation's dimension (the catalog's, else the history's, else 512; another is
 * ARAG_E_DIM). For a host that retrieves candidates from a vector index of its own (a
 * catalog too large to hold) and passes them to arag_recommend_start. */
ARAG_API arag_status arag_context_vector(arag_engine *eng, const arag_catalog *catalog,
                                         const arag_history *history, float *out, uint32_t dim);

/* Statuses below 100 that a host delivers when no HTTP answer came; each names the
 * cause of the fallback (network, timeout, budget, deadline, cancelled, refusal). */
typedef enum arag_fetch_status {
  ARAG_FETCH_NETWORK = 0,   /* connection refused, reset, DNS, a malformed response */
  ARAG_FETCH_TIMEOUT = 1,   /* the call's own time limit (after the host's retries) */
  ARAG_FETCH_BUDGET = 2,    /* the recommendation's call/token budget refused the call */
  ARAG_FETCH_DEADLINE = 3,  /* the recommendation's deadline passed (host side) */
  ARAG_FETCH_CANCELLED = 4, /* the host cancelled this one call */
  ARAG_FETCH_REFUSAL = 5    /* the model refused to answer (body: its words) */
} arag_fetch_status;

/* Deliver an answer: status is the HTTP-like status the host got (200 on success,
 * another HTTP status, or an arag_fetch_status); body is the assistant message
 * content or an error text. Any status but 200, and an answer that cannot be used,
 * sends the step to the configured fallback. Unknown session or request:
 * ARAG_E_NOT_FOUND, nothing changes. */
ARAG_API arag_status arag_deliver(arag_engine *eng, uint32_t session, uint32_t request_id,
                                  int status, const char *body, size_t len);
/* Optional token usage for a delivered request (call before arag_deliver). */
ARAG_API arag_status arag_report_usage(arag_engine *eng, uint32_t session, uint32_t request_id,
                                       uint32_t prompt_tokens, uint32_t completion_tokens);
/* Optional: a repair the host made to the answer it is about to deliver (content
 * read from a reasoning field, an event stream assembled, ...), recorded on the
 * message as "<step>:<note>" (printable ASCII, at most 80 bytes). */
ARAG_API arag_status arag_report_repair(arag_engine *eng, uint32_t session, uint32_t request_id,
                                        const char *note, size_t len);

typedef enum arag_session_state {
  ARAG_SESSION_RUNNING = 0,
  ARAG_SESSION_DONE = 1,
  ARAG_SESSION_CANCELLED = 2
} arag_session_state;

ARAG_API arag_status arag_session_state_get(arag_engine *eng, uint32_t session,
                                            arag_session_state *out);
/* Result JSON once done: {"items":[{"id","score","reason","evidence"}] (the top k),
 * "order":[every id of I0, final order], "degraded":[...], "fallbacks":[{"step",
 * "agent", "cause", "fallback", "items"}] (every step a fallback answered or filled
 * in: cause network|timeout|budget|deadline|cancelled|refusal|status|parse, fallback
 * offline|retrieval, items: the candidates it answered), "usage":{"calls",
 * "prompt_tokens","completion_tokens","prompt_chars"}, "trace":{"config","context",
 * "s_user","s_ctx","i0","nli","accepted","elapsed_ms","messages":[blackboard]}}.
 * trace.context: {"long_term","session": item ids, "shift":{"share","run",
 * "older_weight"}}: the interest shift (the newest run of one category, new to the older
 * events: share 0..1, its events, the weight factor the older events of other categories
 * got; docs/offline-reasoner.md).
 * Owned by the session. ARAG_E_STATE while running, ARAG_E_CANCELLED if cancelled.
 *
 * "evidence": what the item shares with the history the recommendation read (the events
 * in trace.context; "history items" are their distinct items, never the item itself),
 * computed exactly from the data, most telling first. Each entry has "kind" and "items"
 * (the ids of the history items it rests on, each once), "title" (that history item's
 * title, cut at a word boundary with "…") when it rests on one item, and by kind:
 *   "repeat"          the item is in the history; "bought": its purchase events
 *   "bought_together" a history item the catalog's "related" lists pair with it;
 *                     "count": the larger weight either list gives
 *   "title_words"     "words": words its title shares with that history item's title
 *                     (as the item's title writes them; not function, size or pack
 *                     words, not its brand's)
 *   "brand"           "brand": its brand (the "brand" field, or a phrase the catalog
 *                     supports at the start of its title); items: every history item of
 *                     that brand
 *   "category"        "path": the deepest category path it shares, as the item has it
 *                     (below the root); items: every history item on that path
 *   "price"           "price" within "low" .. "high", the prices of the history items
 *                     (items: those with a price, at least two)
 *   "popular"         "popularity", among the top quarter of the candidates' (at least
 *                     four with one)
 *   "text_words"      "words" its text shares with a recent history item's text (only
 *                     when nothing above holds)
 * The offline reasoner's "reason" is the first two entries in plain words (the sentences
 * renderReason writes in the JS library); an LLM ranker's reason is its own text,
 * unchecked: show shoppers the evidence instead.
 *
 * An LLM ranker is shown each candidate's evidence and cites, for its first k items, the
 * entries its reason relies on, each a kind and history item ids. A citation holds when
 * the item's evidence has an entry of that kind and every id it names is among that
 * entry's "items"; such an entry gets "cited": true. Citations that are malformed, do
 * not hold, repeat one before them or come past the first 16 are dropped.
 * trace.citations (only when a model ranked): [{"id", "cited": [kinds that held],
 * "dropped": n}] for each item that cited, in the final order. renderReason says the
 * cited entries of an item that has any, else all its entries. */
ARAG_API arag_status arag_session_result(arag_engine *eng, uint32_t session, const char **json,
                                         size_t *len);
/* The session's deadline in ms from its start (0: none; always 0 offline), for the
 * host's timer. */
ARAG_API arag_status arag_session_deadline_ms(arag_engine *eng, uint32_t session, uint32_t *ms);
/* The deadline, now: every agent still waiting is answered by the fallback and the
 * session finishes (state DONE on return). ARAG_E_STATE when not running. */
ARAG_API arag_status arag_session_expire(arag_engine *eng, uint32_t session);
/* Cancel: pending requests are abandoned; later deliveries return ARAG_E_NOT_FOUND. */
ARAG_API arag_status arag_session_cancel(arag_engine *eng, uint32_t session);
ARAG_API void arag_session_free(arag_engine *eng, uint32_t session);
ARAG_API uint32_t arag_engine_sessions(const arag_engine *eng); /* live sessions */

#ifdef __cplusplus
}
#endif
#endif /* ARAG_H */
