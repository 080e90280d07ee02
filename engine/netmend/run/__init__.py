"""A run: the Plan, the pipeline that applies it, its writes, restore and rollback.

Import the modules themselves (``netmend.run.runner``, ``netmend.run.plan``...): this
package re-exports nothing, so importing a Plan never pulls in boto3.
"""

__all__: list[str] = []
