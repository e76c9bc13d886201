"""A business's quote request: the form's record, its state and lock, the brief, retention.

Owns what a business tells CertMatch and how long it is kept; `state` is the request lock
every package above takes. May import iso and the ground floor only.
"""
