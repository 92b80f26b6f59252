"""电子证照 (C9): results issued as signed e-licences, verified by anyone, revocable, and used
with the holder's consent instead of being submitted again. See docs/architecture.md
"E-licences (电子证照)"."""
