"""Security-group rule reasoning the actions share: spelling, redundancy, folding, reliance.

These modules register no step; they are the helpers behind the sg actions.
"""

__all__: list[str] = []
