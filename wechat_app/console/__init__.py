"""Desktop console for institutions, assessment bodies and health authorities (/console/)."""
