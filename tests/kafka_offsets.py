"""Has a consumer group processed everything on a topic? Its committed offsets tell.

Used with ``eventually`` to prove that a consumer acknowledged a message (and so will never see
it again) without sleeping, e.g. after publishing a duplicate that must change nothing.
"""

from aiokafka import TopicPartition

from libs.kafka_connection import KafkaConnection
from libs.messages.topics import PARTITIONS
from libs.operations.kafka_lag import kafka_reader


async def committed_and_end_offsets(
    bootstrap_servers: str, group_id: str, topic: str
) -> dict[int, tuple[int, int]]:
    """Per partition: (offset committed by ``group_id``, end offset of the partition)."""
    # The operations report's reader never joins the group, so the consumer under test is
    # not rebalanced.
    partitions = [TopicPartition(topic, number) for number in range(PARTITIONS[topic])]
    async with kafka_reader(KafkaConnection(bootstrap_servers)) as reader:
        committed = await reader.committed(group_id, partitions)
        _, end_offsets = await reader.bounds(partitions)
    return {tp.partition: (committed[tp] or 0, end_offsets[tp]) for tp in partitions}


async def group_caught_up(bootstrap_servers: str, group_id: str, topic: str) -> bool:
    """True once ``group_id`` has committed up to the end of every partition of ``topic``."""
    offsets = await committed_and_end_offsets(bootstrap_servers, group_id, topic)
    return all(committed >= end for committed, end in offsets.values())
