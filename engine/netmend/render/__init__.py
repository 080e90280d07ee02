"""How results read: rich views for people, diffs as AWS CLI, Terraform, CloudFormation.

The only place (with cli/ and the chat adapter) that imports rich.
"""

__all__: list[str] = []
