"""The SQL side of matching: narrowing over the match key, the score bound, candidate rows.

Owns turning a request into the few providers worth scoring (`search.match_candidates`).
May import iso, matching and the ground floor (models, db); never Flask views or mail.
"""
