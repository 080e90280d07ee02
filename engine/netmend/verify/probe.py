"""The command that proves, from the source, that the application itself answers.

Neither the offline evaluator nor Reachability Analyzer sees OS firewalls or whether
anything listens, so a report ends with a check to run by hand. For TCP a connect
(``nc -zv``) is proof: a refused connection means the packet arrived. For UDP it is not:
``nc -zuv`` reports success when nothing listens (UDP has no handshake, and a lost ICMP
port-unreachable looks like an open port), so a UDP flow gets a request in the
service's own protocol (``dig`` for DNS, ``ntpdate -q`` for NTP, ...), or the advice to
send one when netmend does not know the service.
"""

from __future__ import annotations

import shlex

from netmend.model.protocol import ICMP, ICMPV6, TCP, UDP

__all__ = ["UDP_PROBES", "application_probe"]

# Well-known UDP services and a client call that only succeeds when the service replies.
UDP_PROBES: dict[int, str] = {
    53: "dig @{address} -p {port} amazon.com +time=2 +tries=1",
    123: "ntpdate -q -p 1 {address}",
    161: "snmpget -v2c -c public -t 2 {address}:{port} 1.3.6.1.2.1.1.3.0",
    500: "ike-scan {address}",
    1812: "radtest USER PASSWORD {address}:{port} 0 SECRET",
    5353: "dig @{address} -p {port} _services._dns-sd._udp.local PTR +time=2 +tries=1",
}


def application_probe(protocol: str, address: str, port: int | None) -> str:
    """A command to run from the source that succeeds only if the destination answers."""
    quoted = shlex.quote(address)
    if protocol == TCP:
        return f"nc -zv {quoted} {port}"
    if protocol == UDP:
        template = UDP_PROBES.get(port or -1)
        if template is not None:
            return template.format(address=quoted, port=port)
        return (
            f"send a request in the service's own protocol to {quoted} udp/{port} and wait "
            "for its reply (nc -u reports success even when nothing listens)"
        )
    if protocol == ICMP:
        return f"ping -c 3 {quoted}"
    if protocol == ICMPV6:
        return f"ping -6 -c 3 {quoted}"
    return f"a request in the application's own protocol to {quoted}"
