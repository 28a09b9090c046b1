"""Mail flow > Message trace: the messages the lab's Office 365 front door received for an
organization, searched as the EAC's message trace searches them, each with its events
(docs/message-trace.md). The front door writes the rows; this package only reads them."""
