/* Variant families: items that are one product in another size, count, pack, colour or
 * shade. Two items are variants when
 *   - both carry the catalog's "group": the groups are equal; otherwise
 *   - they have the same brand (both none counts as the same) and, when both have
 *     categories, the same category path, and their name words (below) are the same, or
 *     share at least two words with at most two words apart on either side and no fewer
 *     in common than apart ("Shellac Rubble" and "Shellac Hot Chilis", "Nail Lacquer,
 *     Bubble Bath" and "Nail Lacquer, Cajun Shrimp").
 * An item's name words are the distinct words of its title (split at spaces, commas,
 * slashes and parentheses, lower-cased, letters and digits only) but the brand's, function,
 * joining, measure and colour words (words.h: "oz", "pack", "slate"), and sizes and counts:
 * a number a measure word follows or that follows "of", "x" or a measure word ("8 fl oz",
 * "pack of 2"), or one written with its unit ("16oz", "3-pack"): "5.07 oz" and "4 oz, Pack
 * of 2" of one product are variants. Other numbers (model numbers, shade codes) stay words. */
#ifndef ARAG_VARIANTS_H
#define ARAG_VARIANTS_H

#include "model.h"
#include "reasoner_text.h"

#define ARAG_VARIANT_WORDS 24

typedef struct arag_variant_key {
  uint64_t id;                    /* the item's id hash */
  uint64_t group;                 /* the "group", hashed; 0: none */
  uint64_t brand;                 /* the brand key; 0: none */
  uint64_t path;                  /* the whole category path, exactly; 0: none */
  uint64_t w[ARAG_VARIANT_WORDS]; /* name words, sorted */
  uint32_t n;
} arag_variant_key;

/* f: the item's features (its brand, resolved). */
void arag_variant_key_of(const arag_item *it, const rs_feat *f, arag_variant_key *k);

/* Are two items one product's variants (or one item)? */
int arag_variants(const arag_variant_key *a, const arag_variant_key *b);

#endif
