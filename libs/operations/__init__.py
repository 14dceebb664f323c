"""The operations report: what is stuck, where, and since when (docs/adr/0012).

One module per source (``outbox``, ``kafka_lag``, ``dead_letters``, ``workflows``,
``deadlines``, ``emails``, ``reconciler``, ``readiness``), each returning a section of the
typed report (``report``); ``collect.collect_report`` reads them all at once. The CLI
(``python -m deploy.status``) and the console's ops page render the same report, and call
``dead_letters.DeadLetterBox`` to replay or discard a dead letter.
"""
