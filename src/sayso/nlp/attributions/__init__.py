"""Finding attributions: the rules (`rules`, with `layout` for what page layout marks), the
learned taggers (`features`, `taggers`) and how the two readings are merged (`merge`)."""
