"""Learning the tag verifier from labelled news: the label corpus, the locked
test split, story-grouped cross-validation, training and honest evaluation.

Article texts are never stored here: labels name items by id and the texts
are read at run time from the data directory (``../shared/data`` by default).
"""
