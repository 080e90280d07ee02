"""Paginated describe calls: one request per page, each page retried on its own.

Pages come from botocore's paginators with ``PageSize`` at the API's maximum, so a
region with N items costs ceil(N / max) calls. A page is fetched by a fresh paginator
started at the previous page's token: a retried page therefore repeats exactly one
request, where retrying a half-consumed paginator would end it early and lose items.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from botocore.paginate import TokenEncoder

from netmend.aws.retry import AwsCaller
from netmend.errors import AwsCallError

__all__ = ["DEFAULT_MAX_PAGE_SIZE", "MAX_PAGE_SIZE", "iter_items", "iter_pages", "page_size_for"]

DEFAULT_MAX_PAGE_SIZE = 1000
DEFAULT_MIN_PAGE_SIZE = 5

# The operations whose MaxResults bounds differ from 5-1000 (botocore's model, §6 of
# the AWS facts): the service rejects a larger value, botocore a smaller one.
MAX_PAGE_SIZE: Mapping[str, int] = {
    "describe_route_tables": 100,
    "describe_egress_only_internet_gateways": 255,
    "describe_managed_prefix_lists": 100,
    "get_managed_prefix_list_entries": 100,
}
_MIN_PAGE_SIZE: Mapping[str, int] = {
    "describe_managed_prefix_lists": 1,
    "get_managed_prefix_list_entries": 1,
}

_TOKENS = TokenEncoder()


def page_size_for(operation: str, cap: int | None = None) -> int:
    """The page size to ask for: the API's maximum, or ``cap`` clamped to its bounds."""
    largest = MAX_PAGE_SIZE.get(operation, DEFAULT_MAX_PAGE_SIZE)
    if cap is None:
        return largest
    return max(_MIN_PAGE_SIZE.get(operation, DEFAULT_MIN_PAGE_SIZE), min(cap, largest))


def _first_page(paginator: Any, params: Mapping[str, Any], config: Mapping[str, Any]) -> Any:
    return next(iter(paginator.paginate(**params, PaginationConfig=dict(config))), None)


def iter_pages(
    call: AwsCaller,
    client: Any,
    operation: str,
    *,
    page_size: int | None,
    **params: Any,
) -> Iterator[dict[str, Any]]:
    """Each response page of ``operation`` (a client method name such as
    ``describe_vpcs``), one request per page, following ``NextToken``.

    ``page_size=None`` sends no MaxResults (required where ids are given to
    DescribeInstances or DescribeNetworkInterfaces).
    """
    paginator = client.get_paginator(operation)
    api_name = client.meta.method_to_api_mapping.get(operation, operation)
    service = client.meta.service_model.service_id
    endpoint = client.meta.endpoint_url
    token: str | None = None
    while True:
        config: dict[str, Any] = {}
        if page_size is not None:
            config["PageSize"] = page_size
        if token is not None:
            # EC2's paginators all take one input token, NextToken.
            config["StartingToken"] = _TOKENS.encode({"NextToken": token})
        page = call.run(
            api_name,
            partial(_first_page, paginator, params, config),
            service=service,
            endpoint=endpoint,
        )
        if page is None:
            return
        yield page
        next_token = page.get("NextToken")
        if not next_token:
            return
        if next_token == token:
            raise AwsCallError(api_name, "PaginationLoop", "the service repeated a NextToken")
        token = next_token


def iter_items(
    call: AwsCaller,
    client: Any,
    operation: str,
    result_key: str,
    *,
    page_size: int | None,
    **params: Any,
) -> Iterator[dict[str, Any]]:
    """The items under ``result_key`` of every page (``SecurityGroups``, ...)."""
    for page in iter_pages(call, client, operation, page_size=page_size, **params):
        yield from page.get(result_key) or ()
