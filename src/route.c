/* route: which partners can take a report, best first.
 *
 * Owns the one rule every front door uses to offer partners, so that the
 * kiosk, the SMS conversation and the web wizard can never disagree:
 *   eligible = serves the category (or "*")
 *              and covers the area (or "*" = anywhere)
 *              and (speaks the language or brings an interpreter);
 *   order    = speaks the language first, then covers this area by name
 *              (an unknown area: covers anywhere) first, then by name,
 *              then by id, then by directory order.
 * The order is total, so the same answers always give the same list.
 * An unknown area (NULL or "") does not filter: partners covering anywhere
 * come first, then the rest, which a person can still choose knowingly.
 *
 * Pure functions over a loaded directory: nothing to fail, nothing kept. */
#include "config.h"

#include <string.h>

#include "route.h"

typedef struct
{
  const Partner *partner;
  gboolean       speaks;
  gboolean       local;     /* names this area (or, area unknown: anywhere) */
  char          *name_key;  /* case-folded name, for a locale-free order */
  guint          index;     /* directory order, the last tie-break */
} RouteCandidate;

/* Area names are free-form text typed by people: compare them case-folded. */
static gboolean
route_strv_has (char **list, const char *value)
{
  g_autofree char *want = g_utf8_casefold (value, -1);

  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      g_autofree char *have = g_utf8_casefold (list[i], -1);

      if (g_str_equal (have, want))
        return TRUE;
    }
  return FALSE;
}

static gint
route_compare (gconstpointer a, gconstpointer b)
{
  const RouteCandidate *x = a;
  const RouteCandidate *y = b;
  int c;

  if (x->speaks != y->speaks)
    return x->speaks ? -1 : 1;
  if (x->local != y->local)
    return x->local ? -1 : 1;
  c = strcmp (x->name_key, y->name_key);
  if (c != 0)
    return c;
  c = strcmp (x->partner->id, y->partner->id);
  if (c != 0)
    return c;
  return x->index < y->index ? -1 : x->index > y->index;
}

GPtrArray *
route_eligible (const PartnerDirectory *dir, const char *category,
                const char *language, const char *area)
{
  g_autoptr(GArray) candidates = g_array_new (FALSE, FALSE,
                                               sizeof (RouteCandidate));
  GPtrArray *out = g_ptr_array_new ();

  g_return_val_if_fail (dir != NULL, out);

  if (category == NULL)
    return out;
  if (area != NULL && area[0] == '\0')
    area = NULL;

  for (guint i = 0; i < partner_directory_size (dir); i++)
    {
      const Partner *p = partner_directory_nth (dir, i);
      gboolean anywhere = route_strv_has (p->areas, "*");
      gboolean named = area != NULL && route_strv_has (p->areas, area);
      RouteCandidate c = { p, FALSE, FALSE, NULL, i };

      if (!partner_serves (p, category))
        continue;
      if (area != NULL && !named && !anywhere)
        continue;
      c.speaks = language != NULL && partner_speaks (p, language);
      if (!c.speaks && !p->interpreters)
        continue;
      c.local = area != NULL ? named : anywhere;
      c.name_key = g_utf8_casefold (p->name != NULL ? p->name : "", -1);
      g_array_append_val (candidates, c);
    }

  g_array_sort (candidates, route_compare);
  for (guint i = 0; i < candidates->len; i++)
    {
      RouteCandidate *c = &g_array_index (candidates, RouteCandidate, i);

      g_ptr_array_add (out, (gpointer) c->partner);
      g_free (c->name_key);
    }
  return out;
}

const Partner *
route_pick (const PartnerDirectory *dir, const char *category,
            const char *language, const char *area)
{
  g_autoptr(GPtrArray) list = route_eligible (dir, category, language, area);

  return list->len > 0 ? g_ptr_array_index (list, 0) : NULL;
}

gboolean
route_allows (const PartnerDirectory *dir, const Partner *partner,
              const char *category, const char *language, const char *area)
{
  g_autoptr(GPtrArray) list = NULL;

  if (dir == NULL || partner == NULL)
    return FALSE;
  list = route_eligible (dir, category, language, area);
  for (guint i = 0; i < list->len; i++)
    if (g_ptr_array_index (list, i) == partner)
      return TRUE;
  return FALSE;
}
