"""Has a consumer group processed everything on a topic? Its committed offsets tell.

Used with ``eventually`` to prove that a consumer acknowledged a message (and so will never see
it again) without sleeping, e.g. after publishing a duplicate that must change nothing.
"""

from aiokafka import AIOKafkaConsumer, TopicPartition

from libs.messages.topics import PARTITIONS


async def committed_and_end_offsets(
    bootstrap_servers: str, group_id: str, topic: str
) -> dict[int, tuple[int, int]]:
    """Per partition: (offset committed by ``group_id``, end offset of the partition)."""
    # Never subscribes: only reads the group's offsets, so it does not join the group and
    # cause a rebalance of the consumer under test.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, number) for number in range(PARTITIONS[topic])]
        end_offsets = await consumer.end_offsets(partitions)
        offsets = {}
        for partition in partitions:
            committed = await consumer.committed(partition)
            offsets[partition.partition] = (committed or 0, end_offsets[partition])
        return offsets
    finally:
        await consumer.stop()


async def group_caught_up(bootstrap_servers: str, group_id: str, topic: str) -> bool:
    """True once ``group_id`` has committed up to the end of every partition of ``topic``."""
    offsets = await committed_and_end_offsets(bootstrap_servers, group_id, topic)
    return all(committed >= end for committed, end in offsets.values())
