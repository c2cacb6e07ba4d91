"""The office's producer mutations (``updateProducer``, ``suspendProducer``,
``resumeProducer``): from their inputs to service calls, as ``calls.py`` does for the others."""

from __future__ import annotations

from traceapp.accounts.office import resume_producer, suspend_producer
from traceapp.api.ids import public_id_of
from traceapp.api.mutations import inputs as i
from traceapp.api.mutations.calls import service
from traceapp.api.mutations.runner import Call
from traceapp.producers.changes import (
    AddressInput,
    ProducerChanges,
    plan_update_producer,
    update_producer,
)


def update_producer_call(data: i.UpdateProducerInput) -> Call:
    producer = public_id_of(data.producer, "Producer", "producer")
    address = data.address
    changes = ProducerChanges(
        name=data.name,
        kind=data.kind.value if data.kind else None,
        tax_code=data.tax_code,
        gln=data.gln,
        address=AddressInput(address.province, address.recorded_on, address.commune, address.street)
        if address is not None
        else None,
    )
    return service(update_producer, plan_update_producer, producer, changes)


def suspend_producer_call(data: i.SuspendProducerInput) -> Call:
    producer = public_id_of(data.producer, "Producer", "producer")
    return Call(
        lambda s, ledger, request: suspend_producer(s, ledger, request, producer, data.reason)
    )


def resume_producer_call(data: i.ResumeProducerInput) -> Call:
    producer = public_id_of(data.producer, "Producer", "producer")
    return Call(
        lambda s, ledger, request: resume_producer(s, ledger, request, producer, data.reason)
    )
