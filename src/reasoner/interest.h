/* Interest shifts: when the newest events of a history are about something its older
 * events are not, the older events weigh less, so a session about something else
 * outweighs a longer history.
 *
 * An event's topic is its category path cut one level below the part every event of
 * the history shares ("Beauty > Hair Care" in a history all under "Beauty"; "Hair
 * Care" when nothing is shared). The newest run is the events from the newest one back
 * to the first of another topic (events without categories are passed over). Its
 * topic is new in the share of the events before the run that have another one; the
 * shift is that share times (run - 1) / (ARAG_SHIFT_RUN - 1), at most 1: one click
 * elsewhere moves nothing, two half of it, three all. Every event before the run of
 * another topic then weighs 1 - strength * shift times its usual weight, in the
 * retrieval context and in the offline reasoner alike (docs/offline-reasoner.md,
 * "Interest shifts"). A catalog without categories shows no shift. */
#ifndef ARAG_INTEREST_H
#define ARAG_INTEREST_H

#include <stdint.h>

#include "model.h"

#define ARAG_SHIFT_RUN 3
#define ARAG_SHIFT_DEPTH 8 /* category levels compared */

typedef struct arag_shift {
  float shift;    /* 0 .. 1 */
  uint32_t run;   /* events of the newest run */
  uint32_t first; /* index of the run's oldest event */
  uint64_t topic; /* the run's topic key (0: none) */
} arag_shift;

/* The shift of n events (oldest first) and each event's weight factor, into w (n
 * floats; every 1 when there is no shift or strength is 0). */
void arag_interest_shift(const arag_event *const *ev, uint32_t n, float strength, arag_shift *out,
                         float *w);

#endif
