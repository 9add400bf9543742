/* Built-in text embedder internals (src/catalog/embed.c): feature hashing of word
 * unigrams, word bigrams and character trigrams, and the field-aware item
 * embedding used by the catalog and the history. */
#ifndef ARAG_EMBED_H
#define ARAG_EMBED_H

#include "arag.h"
#include "model.h"
#include <stddef.h>
#include <stdint.h>

/* Largest text arag_embed_text accepts (the default limits' max_text_bytes). */
#define ARAG_EMBED_MAX_TEXT 65536u
/* The item embedding reads at most this many bytes of an item's description. */
#ifndef ARAG_EMBED_TEXT_PREFIX
#define ARAG_EMBED_TEXT_PREFIX 1000u
#endif

/* Feature-group weights (unigrams, bigrams, character trigrams). The defaults
 * were picked with tools/embed_bench.c --eval (-D overrides them for such runs). */
#ifndef ARAG_EMBED_W_UNIGRAM
#define ARAG_EMBED_W_UNIGRAM 1.0f
#endif
#ifndef ARAG_EMBED_W_BIGRAM
#define ARAG_EMBED_W_BIGRAM 0.6f
#endif
#ifndef ARAG_EMBED_W_TRIGRAM
#define ARAG_EMBED_W_TRIGRAM 0.4f
#endif

/* Field weights of the item embedding (each field is embedded and normalized
 * on its own, then the weighted sum is normalized). Picked on the rag/recency
 * baselines of the evaluation protocol (amazon-beauty for categories,
 * amazon-office for brand and text): categories 0 -> 0.35 lifts rag NDCG@5 on
 * beauty from 0.283 to 0.296, 0.8 and above hurt (0.266); brand 0 -> 0.35 lifts
 * office from 0.276 to 0.291. Group weights moved NDCG@5 by less than 0.01
 * (bigrams 0.3-0.9, trigrams 0.2-1.0); dropping trigrams costs about 0.01.
 * With the stop words of embed.c: rag NDCG@5 0.301 (beauty), 0.295 (office). */
#ifndef ARAG_EMBED_F_TITLE
#define ARAG_EMBED_F_TITLE 1.0f
#endif
#ifndef ARAG_EMBED_F_CATEGORIES
#define ARAG_EMBED_F_CATEGORIES 0.35f
#endif
#ifndef ARAG_EMBED_F_BRAND
#define ARAG_EMBED_F_BRAND 0.35f
#endif
#ifndef ARAG_EMBED_F_TEXT
#define ARAG_EMBED_F_TEXT 0.35f
#endif

/* No argument checks, no length limit: writes the L2-normalized embedding of
 * text to out[0..dim). Returns ARAG_E_NOMEM only when a very long text needs a
 * feature buffer that cannot be allocated (out is then zero). dim > 0. */
arag_status arag_embed_raw(const char *text, size_t len, uint32_t dim, float *out);

/* L2-normalizes v in place (a zero vector stays zero). Returns the norm before. */
float arag_embed_normalize(float *v, uint32_t dim);

/* Field-aware item embedding: vec = normalized weighted sum of the embeddings
 * of the title, the category path (deeper categories weigh more), the brand
 * and the first ARAG_EMBED_TEXT_PREFIX bytes of the text. When every text field
 * is empty (an event that only names an item), vec is the zero vector. (The
 * title alone, as the offline reasoner compares titles: arag_embed_raw.) */
arag_status arag_embed_item(const arag_item *item, uint32_t dim, float *vec);

#endif
