"""The words an Exchange admin reads when a validation task fails: a (cause, fix) pair for each kind
of failure, keyed by a short name. The probe fills in the {facts} in braces."""

WORDS: dict[str, tuple[str, str]] = {
    "nxdomain": (
        "The name {name} doesn't exist in DNS (NXDOMAIN).",
        "Check the name for typos. If it's right, create its DNS records, or ask the domain's DNS provider why it doesn't resolve.",
    ),
    "no-address": (
        "{name} exists in DNS but has {missing}, so there is no address to connect to.",
        "Add an A (IPv4) or AAAA (IPv6) record for {name} pointing to your mail server, or enter the server's name or IP address instead.",
    ),
    "dns-server-failure": (
        "The DNS servers for {name} failed to answer the {rdtype} query (server failure or refused query).",
        "Check that the domain's name servers are up and its delegation is correct (DNSSEC errors show up this way too), then validate again.",
    ),
    "dns-timeout": (
        "No DNS answer for {name} ({rdtype}) within {seconds:g} seconds: its name servers didn't respond.",
        "Check that the domain's name servers respond to queries, then validate again.",
    ),
    "dns-other": (
        "The DNS lookup of {name} ({rdtype}) failed: {reason}.",
        "Check the name and its DNS records.",
    ),
    "null-mx": (
        '{name} publishes a null MX record ("0 ."): it declares that it accepts no email at all.',
        "Check the domain with its owner, or route this connector through a smart host instead.",
    ),
    "policy": (
        "{refusal}",
        "Check the smart host's name or address, then validate again.",
    ),
    "refused": (
        "{address} refused the connection on port {port}: no mail server listens there, or a firewall rejects the connection.",
        "Check that the mail server is running and listening on port {port}, and that your firewall lets Exchange Online's IP addresses connect to it.",
    ),
    "connect-timeout": (
        "{address} didn't answer on port {port} within {seconds:g} seconds: the server may be down, the address wrong, or a firewall may be silently dropping the connection.",
        "Check the smart host's address, that the server is up, and that your firewall allows port {port} from Exchange Online.",
    ),
    "unreachable": (
        "The network couldn't reach {address}: {reason}.",
        "Check the smart host's address and the network path to it.",
    ),
    "bad-greeting": (
        "{host} answered, but refused to start an SMTP session: its greeting wasn't 220.",
        "Check the server's SMTP service, and that it accepts connections from Exchange Online (connection filtering, IP allow lists).",
    ),
    "ehlo-rejected": (
        "{host} rejected EHLO{when}, so no ESMTP session is possible.",
        "Check that the server accepts EHLO from Exchange Online.",
    ),
    "starttls-missing": (
        "The connector requires TLS, but {host} doesn't offer STARTTLS in its reply to EHLO.",
        "Turn on TLS (STARTTLS) with a valid certificate on the server's SMTP service, or change the connector's security settings if TLS really isn't wanted.",
    ),
    "old-tls": (
        "{host} only offers TLS versions older than 1.2; TLS 1.2 or later is required.",
        "Turn on TLS 1.2 (or 1.3) on the server; TLS 1.0 and 1.1 are no longer accepted.",
    ),
    "ca-file": (
        "The console's extra CA file couldn't be read ({reason}), so certificates can't be checked.",
        "Ask the console's operator to fix the CA file setting.",
    ),
    "expired": (
        "The server's certificate expired{not_after}.",
        "Renew the certificate and bind the new one to the server's SMTP service.",
    ),
    "not-yet-valid": (
        "The server's certificate isn't valid{not_before}.",
        "Check the server's clock and the certificate's validity dates.",
    ),
    "self-signed": (
        "The server's certificate is self-signed: no trusted certification authority vouches for it, so it isn't trusted.",
        "Install a certificate issued by a public certification authority (or by one this console is set up to trust).",
    ),
    "untrusted": (
        "The server's certificate isn't trusted ({reason}): a certification authority this console doesn't trust issued it, or the server doesn't send its intermediate certificates.",
        "Use a certificate from a public certification authority, and make the server send the full chain.",
    ),
    "name-mismatch": (
        "The certificate is for {names}, but the connector requires a certificate for {required}.",
        "Install a certificate whose subject or SAN covers {required}, or correct the domain name in the connector's security settings.",
    ),
    "request-refused": (
        "{host} refused the request {during}.",
        "Check the server's SMTP and TLS configuration.",
    ),
    "stopped-answering": (
        "{host} stopped answering {during}: nothing arrived within {seconds:g} seconds.",
        "Check that the port belongs to a working mail server and that the server isn't overloaded.",
    ),
    "closed": (
        "{host} closed the connection {during}, without an SMTP reply saying why.{guess}",
        "Check the server's logs. SMTP inspection on a firewall, an unhealthy server or a network device in between can drop connections like this.",
    ),
    "network-other": (
        "The connection to {host} failed {during}: {reason}.",
        "Check the server's SMTP and TLS configuration, and the network path to it.",
    ),
    "out-of-time": (
        "The validation ran out of its {seconds:g}-second time budget {during}: the server answers far too slowly, or drip-feeds its replies.",
        "Check the server's load and anything in between that delays SMTP (proxies, tarpitting, anti-spam delays), then validate again.",
    ),
    "no-host": (
        "No {what} could be reached and pass every check above, so the test message couldn't be sent.",
        "Fix the failures reported for the hosts above, then validate again.",
    ),
    "sender-refused": (
        "{host} refused the sender {sender}.",
        "Let the server accept mail from Exchange Online's sender address (check its relay and sender restrictions).",
    ),
    "recipient-rejected": (
        "{host} rejected the recipient {recipient}.",
        "Use the address of an active mailbox on that server, and check that the server accepts mail for its domain.",
    ),
    "data-refused": (
        "{host} accepted the recipient {recipient} but refused to take the message (DATA).",
        "Check the server's limits and policies for incoming messages.",
    ),
    "message-refused": (
        "{host} received the message for {recipient} but refused it.",
        "Check the server's content filtering and message size limits, and its logs for this message.",
    ),
}
