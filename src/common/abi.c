/* The module described as data, for bindings: the values of arag.h's enums and the
 * layout of the structs a host writes or reads (arag_limits, arag_error), as JSON
 * (arag_abi_json). The compiler fills in every number, so the JavaScript host reads
 * them from the module (web/src/abi.mjs is generated from it: make abi) instead of
 * keeping copies. A name a binding needs is added here once. */
#include "arag.h"
#include "strbuf.h"

#include <stddef.h>
#include <string.h>

typedef struct abi_const {
  const char *name;
  long value;
} abi_const;

typedef struct abi_enum {
  const char *name;
  const abi_const *v;
  size_t n;
} abi_enum;

#define ABI_C(x)                                                                                   \
  { #x, (long)(x) }
#define ABI_ENUM(name, list)                                                                       \
  { name, list, sizeof list / sizeof list[0] }

static const abi_const dtypes[] = {ABI_C(ARAG_F32), ABI_C(ARAG_I8)};
static const abi_const metrics[] = {ABI_C(ARAG_COSINE), ABI_C(ARAG_DOT)};
static const abi_const kernels[] = {ABI_C(ARAG_KERNEL_AUTO), ABI_C(ARAG_KERNEL_SCALAR),
                                    ABI_C(ARAG_KERNEL_SIMD)};
static const abi_const session_states[] = {ABI_C(ARAG_SESSION_RUNNING), ABI_C(ARAG_SESSION_DONE),
                                           ABI_C(ARAG_SESSION_CANCELLED)};
static const abi_const fetch_statuses[] = {ABI_C(ARAG_FETCH_NETWORK),   ABI_C(ARAG_FETCH_TIMEOUT),
                                           ABI_C(ARAG_FETCH_BUDGET),    ABI_C(ARAG_FETCH_DEADLINE),
                                           ABI_C(ARAG_FETCH_CANCELLED), ABI_C(ARAG_FETCH_REFUSAL)};

static const abi_enum enums[] = {
    ABI_ENUM("arag_dtype", dtypes),
    ABI_ENUM("arag_metric", metrics),
    ABI_ENUM("arag_kernel", kernels),
    ABI_ENUM("arag_session_state", session_states),
    ABI_ENUM("arag_fetch_status", fetch_statuses),
};

typedef struct abi_field {
  const char *name;
  size_t offset, size;
  const char *type; /* u32, i32, or char (a byte array of size bytes) */
} abi_field;

typedef struct abi_struct {
  const char *name;
  size_t size;
  const abi_field *f;
  size_t n;
} abi_struct;

#define ABI_F(s, field, type)                                                                      \
  { #field, offsetof(s, field), sizeof(((s *)0)->field), type }
#define ABI_STRUCT(s, list)                                                                        \
  { #s, sizeof(s), list, sizeof list / sizeof list[0] }

static const abi_field limits_fields[] = {
    ABI_F(arag_limits, max_dim, "u32"),           ABI_F(arag_limits, max_rows, "u32"),
    ABI_F(arag_limits, max_id_bytes, "u32"),      ABI_F(arag_limits, max_text_bytes, "u32"),
    ABI_F(arag_limits, max_restore_bytes, "u32"),
};
static const abi_field error_fields[] = {
    ABI_F(arag_error, status, "i32"),
    ABI_F(arag_error, message, "char"),
};

static const abi_struct structs[] = {
    ABI_STRUCT(arag_limits, limits_fields),
    ABI_STRUCT(arag_error, error_fields),
};

/* The statuses come from arag_strerror: its names, up to the colon, for 0, 1, ...
 * until the first unknown one. */
static void write_statuses(arag_sb *b) {
  arag_sb_puts(b, "\"arag_status\":{");
  for (int s = 0;; s++) {
    const char *name = arag_strerror((arag_status)s);
    if (strncmp(name, "ARAG_E_UNKNOWN", 14) == 0) break;
    size_t n = strcspn(name, ":");
    arag_sb_printf(b, "%s\"%.*s\":%d", s ? "," : "", (int)n, name, s);
  }
  arag_sb_puts(b, "}");
}

char *arag_abi_json(void) {
  arag_sb b;
  arag_sb_init(&b);
  arag_sb_puts(&b, "{\"enums\":{");
  write_statuses(&b);
  for (size_t i = 0; i < sizeof enums / sizeof enums[0]; i++) {
    arag_sb_printf(&b, ",\"%s\":{", enums[i].name);
    for (size_t j = 0; j < enums[i].n; j++)
      arag_sb_printf(&b, "%s\"%s\":%ld", j ? "," : "", enums[i].v[j].name, enums[i].v[j].value);
    arag_sb_puts(&b, "}");
  }
  arag_sb_puts(&b, "},\"structs\":{");
  for (size_t i = 0; i < sizeof structs / sizeof structs[0]; i++) {
    const abi_struct *s = &structs[i];
    arag_sb_printf(&b, "%s\"%s\":{\"size\":%zu,\"fields\":[", i ? "," : "", s->name, s->size);
    for (size_t j = 0; j < s->n; j++)
      arag_sb_printf(&b, "%s{\"name\":\"%s\",\"offset\":%zu,\"size\":%zu,\"type\":\"%s\"}",
                     j ? "," : "", s->f[j].name, s->f[j].offset, s->f[j].size, s->f[j].type);
    arag_sb_puts(&b, "]}");
  }
  arag_sb_puts(&b, "}}");
  return arag_sb_take(&b, NULL);
}
