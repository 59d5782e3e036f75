"""The analysis, layer by layer in the order a text goes through it: parse (the spaCy base
pipeline), clean (page furniture), quotes, attributions, sources, stance and hedges, profile;
`components` makes each a spaCy pipeline component."""
