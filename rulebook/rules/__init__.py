"""The rules R-… of product.md §6, one module per family; `rulebook.precedence` says in which order they are asked.

Every rule is a function `CaseFacts -> Decision | Finding | None`: a `Decision` settles the case (a `to_agent`
decision settles that an agent must decide), a `Finding` says the rule applies but does not decide, and `None`
says the rule has nothing to say about these facts.
"""
