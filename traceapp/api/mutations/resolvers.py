"""The Mutation type and its ``prepareXxx`` queries (the client-held key flow)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON

from traceapp.accounts.office import StatusChange
from traceapp.api.context import context_of
from traceapp.api.mutations import calls, office_calls, tokens, uploads
from traceapp.api.mutations import inputs as i
from traceapp.api.mutations import payloads as p
from traceapp.api.mutations.runner import MakeCall, Outcome, run_prepare, run_write, user_errors
from traceapp.batches.services import IssuedItems
from traceapp.errors import DomainError
from traceapp.events.capture import CaptureResult
from traceapp.events.services import Recorded
from traceapp.ledger_store.service import Receipt

Info = strawberry.Info[Any, Any]
P = TypeVar("P", bound=p.Payload)
InputT = TypeVar("InputT", bound=i.Idempotent)
S = TypeVar("S", bound=i.Signable)


def _receipt(outcome: Outcome) -> Receipt | None:
    result = outcome.result
    if isinstance(result, IssuedItems | Recorded):
        return result.receipt
    return result if isinstance(result, Receipt) else None


def _notices(info: Info, outcome: Outcome) -> list[p.EventNotice]:
    """The plausibility notices of recorded events, in the caller's language."""
    if not isinstance(outcome.result, Recorded):
        return []
    translate = context_of(info).translate
    return [
        p.EventNotice(field=problem.field, message=problem.message, code=problem.code)
        for notice in outcome.result.notices
        for problem in notice.problems(translate)
    ]


def _write_events(
    info: Info, payload: Callable[..., P], make_call: MakeCall[InputT], data: InputT
) -> P:
    """``_write`` for mutations that record events: their notices go beside ``userErrors``."""
    outcome = run_write(
        info,
        make_call,
        data,
        idempotency_key=data.idempotency_key,
        actor=getattr(data, "actor", None),
        signature=getattr(data, "signature", None),
    )
    return payload.of(  # type: ignore[attr-defined,no-any-return]
        _receipt(outcome), outcome.errors or [], notices=_notices(info, outcome)
    )


def _write(
    info: Info, payload: Callable[..., P], make_call: MakeCall[InputT], data: InputT, **extra: Any
) -> P:
    outcome = run_write(
        info,
        make_call,
        data,
        idempotency_key=data.idempotency_key,
        actor=getattr(data, "actor", None),
        signature=getattr(data, "signature", None),
    )
    return payload.of(_receipt(outcome), outcome.errors or [], **extra)  # type: ignore[attr-defined,no-any-return]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a producer (admin), with a custodial key.")
    def register_producer(
        self, info: Info, input: i.RegisterProducerInput
    ) -> p.RegisterProducerPayload:
        return _write(info, p.RegisterProducerPayload, calls.register_producer_call, input)

    @strawberry.mutation(
        description="Publish or change the producer's public business contact (its own key or "
        "an admin's), shown on its products' pages."
    )
    def update_producer_contact(
        self, info: Info, input: i.UpdateProducerContactInput
    ) -> p.UpdateProducerContactPayload:
        return _write(
            info, p.UpdateProducerContactPayload, calls.update_producer_contact_call, input
        )

    @strawberry.mutation(
        description="Correct a producer's public details and address (programme office): "
        "`producer.updated`, only what changes; the producer's history keeps every version."
    )
    def update_producer(self, info: Info, input: i.UpdateProducerInput) -> p.UpdateProducerPayload:
        return _write(info, p.UpdateProducerPayload, office_calls.update_producer_call, input)

    @strawberry.mutation(
        description="Suspend a producer (programme office): `producer.suspended`; its API "
        "tokens are revoked, its members signed out, and every write with its keys is refused "
        "(PRODUCER_SUSPENDED) until `resumeProducer`."
    )
    def suspend_producer(
        self, info: Info, input: i.SuspendProducerInput
    ) -> p.SuspendProducerPayload:
        outcome = run_write(
            info, office_calls.suspend_producer_call, input, idempotency_key=input.idempotency_key
        )
        change = outcome.result
        if not isinstance(change, StatusChange):
            return p.SuspendProducerPayload.of(
                None, outcome.errors or [], tokens_revoked=0, sessions_ended=0
            )
        return p.SuspendProducerPayload.of(
            change.receipt,
            [],
            tokens_revoked=change.tokens_revoked,
            sessions_ended=change.sessions_ended,
        )

    @strawberry.mutation(
        description="Resume a suspended producer (programme office): `producer.resumed`; its "
        "members may sign in again. Revoked tokens stay revoked."
    )
    def resume_producer(self, info: Info, input: i.ResumeProducerInput) -> p.ResumeProducerPayload:
        outcome = run_write(
            info, office_calls.resume_producer_call, input, idempotency_key=input.idempotency_key
        )
        change = outcome.result
        receipt = change.receipt if isinstance(change, StatusChange) else None
        return p.ResumeProducerPayload.of(receipt, outcome.errors or [])

    @strawberry.mutation(description="Register a product (GTIN-14) of a producer.")
    def register_product(
        self, info: Info, input: i.RegisterProductInput
    ) -> p.RegisterProductPayload:
        return _write(info, p.RegisterProductPayload, calls.register_product_call, input)

    @strawberry.mutation(description="Change a product's descriptive fields.")
    def update_product(self, info: Info, input: i.UpdateProductInput) -> p.UpdateProductPayload:
        return _write(info, p.UpdateProductPayload, calls.update_product_call, input)

    @strawberry.mutation(
        description=(
            "Upload a product's photo (multipart request): checked, stripped of metadata, "
            "re-encoded and stored; its SHA-256 is recorded on the ledger (`product.photo_set`)."
        )
    )
    def upload_product_photo(
        self, info: Info, input: i.UploadProductPhotoInput
    ) -> p.UploadProductPhotoPayload:
        outcome = uploads.upload_product_photo(info, input)
        return p.UploadProductPhotoPayload.of(_receipt(outcome), outcome.errors or [])

    @strawberry.mutation(
        description="Upload a producer's logo, as `uploadProductPhoto` (`producer.logo_set`)."
    )
    def upload_producer_logo(
        self, info: Info, input: i.UploadProducerLogoInput
    ) -> p.UploadProducerLogoPayload:
        outcome = uploads.upload_producer_logo(info, input)
        return p.UploadProducerLogoPayload.of(_receipt(outcome), outcome.errors or [])

    @strawberry.mutation(description="Record a certificate (admin): OCOP stars valid 36 months.")
    def grant_certification(
        self, info: Info, input: i.GrantCertificationInput
    ) -> p.GrantCertificationPayload:
        return _write(info, p.GrantCertificationPayload, calls.grant_certification_call, input)

    @strawberry.mutation(description="Revoke a certificate (admin).")
    def revoke_certification(
        self, info: Info, input: i.RevokeCertificationInput
    ) -> p.RevokeCertificationPayload:
        return _write(info, p.RevokeCertificationPayload, calls.revoke_certification_call, input)

    @strawberry.mutation(description="Register a farm, facility, warehouse or shop.")
    def register_location(
        self, info: Info, input: i.RegisterLocationInput
    ) -> p.RegisterLocationPayload:
        return _write(info, p.RegisterLocationPayload, calls.register_location_call, input)

    @strawberry.mutation(
        description="Change a place's name, kind, address or position (`location.updated`)."
    )
    def update_location(self, info: Info, input: i.UpdateLocationInput) -> p.UpdateLocationPayload:
        return _write(info, p.UpdateLocationPayload, calls.update_location_call, input)

    @strawberry.mutation(description="Create a batch (lot) of a product.")
    def create_batch(self, info: Info, input: i.CreateBatchInput) -> p.CreateBatchPayload:
        return _write(info, p.CreateBatchPayload, calls.create_batch_call, input)

    @strawberry.mutation(description="Issue serialised items of a batch, optionally with PINs.")
    def issue_items(self, info: Info, input: i.IssueItemsInput) -> p.IssueItemsPayload:
        outcome = run_write(
            info,
            calls.issue_items_call,
            input,
            idempotency_key=input.idempotency_key,
            actor=input.actor,
            signature=input.signature,
        )
        pins: list[p.ItemPin] = []
        if isinstance(outcome.result, IssuedItems):
            pins = [p.ItemPin(serial=s, pin=n) for s, n in outcome.result.pins.items()]
        return p.IssueItemsPayload.of(_receipt(outcome), outcome.errors or [], pins=pins)

    @strawberry.mutation(description="Record one EPCIS 2.0 event.")
    def record_event(self, info: Info, input: i.RecordEventInput) -> p.RecordEventPayload:
        return _write_events(info, p.RecordEventPayload, calls.record_event_call, input)

    @strawberry.mutation(description="Record many events in one transaction.")
    def record_events(self, info: Info, input: i.RecordEventsInput) -> p.RecordEventsPayload:
        return _write_events(info, p.RecordEventsPayload, calls.record_events_call, input)

    @strawberry.mutation(description="Record EPCIS 2.0 event objects as given.")
    def capture_epcis_events(
        self, info: Info, input: i.CaptureEpcisEventsInput
    ) -> p.CaptureEpcisEventsPayload:
        return _write_events(
            info, p.CaptureEpcisEventsPayload, calls.capture_epcis_events_call, input
        )

    @strawberry.mutation(description="Capture a whole EPCIS 2.0 document (GS1 REST binding rules).")
    def capture_epcis_document(
        self, info: Info, input: i.CaptureEpcisDocumentInput
    ) -> p.CaptureEpcisDocumentPayload:
        outcome = run_write(
            info, calls.capture_epcis_document_call, input, idempotency_key=input.idempotency_key
        )
        result = outcome.result
        if not isinstance(result, CaptureResult):
            return p.CaptureEpcisDocumentPayload.of(None, outcome.errors or [])
        return p.CaptureEpcisDocumentPayload.of(
            result.receipt, outcome.errors or [], report=result.as_json()
        )

    @strawberry.mutation(description="Retract an event with an EPCIS errorDeclaration.")
    def declare_event_error(
        self, info: Info, input: i.DeclareEventErrorInput
    ) -> p.DeclareEventErrorPayload:
        return _write(info, p.DeclareEventErrorPayload, calls.declare_event_error_call, input)

    @strawberry.mutation(description="Recall batches: every scan of their items shows it.")
    def issue_recall(self, info: Info, input: i.IssueRecallInput) -> p.IssueRecallPayload:
        return _write(info, p.IssueRecallPayload, calls.issue_recall_call, input)

    @strawberry.mutation(description="Register a client-held public key (admin).")
    def register_key(self, info: Info, input: i.RegisterKeyInput) -> p.RegisterKeyPayload:
        return _write(info, p.RegisterKeyPayload, calls.register_key_call, input)

    @strawberry.mutation(description="Revoke a key (admin).")
    def revoke_key(self, info: Info, input: i.RevokeKeyInput) -> p.RevokeKeyPayload:
        return _write(info, p.RevokeKeyPayload, calls.revoke_key_call, input)

    @strawberry.mutation(description="A new API token for the caller's producer; secret once.")
    def create_api_token(
        self, info: Info, input: tokens.CreateApiTokenInput
    ) -> tokens.CreateApiTokenPayload:
        return tokens.create_api_token(info, input)

    @strawberry.mutation(description="Revoke one of the caller's producer's API tokens, at once.")
    def revoke_api_token(
        self, info: Info, input: tokens.RevokeApiTokenInput
    ) -> tokens.RevokeApiTokenPayload:
        return tokens.revoke_api_token(info, input)


def _prepare(info: Info, make_call: MakeCall[S], data: S) -> p.PreparedStatement:
    try:
        to_sign = run_prepare(
            context_of(info),
            make_call,
            data,
            idempotency_key=data.idempotency_key,
            actor=data.actor,
        )
    except DomainError as exc:
        return p.PreparedStatement(
            actor=None,
            type=None,
            statement=None,
            message=None,
            idempotency_key=data.idempotency_key,
            user_errors=user_errors(exc, context_of(info).translate),
        )
    return p.PreparedStatement(
        actor=to_sign.actor,
        type=to_sign.draft.type,
        statement=cast(JSON, to_sign.draft.statement),
        message=base64.b64encode(to_sign.draft.message(to_sign.actor)).decode(),
        idempotency_key=data.idempotency_key,
        user_errors=[],
    )


PREPARE = (
    "The bytes `actor` must sign for this input (idempotencyKey required); nothing is written."
)


@strawberry.type
class PrepareQueries:
    @strawberry.field(description=PREPARE)
    def prepare_register_producer(
        self, info: Info, input: i.RegisterProducerInput
    ) -> p.PreparedStatement:
        return _prepare(info, calls.register_producer_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_update_producer(
        self, info: Info, input: i.UpdateProducerInput
    ) -> p.PreparedStatement:
        return _prepare(info, office_calls.update_producer_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_register_product(
        self, info: Info, input: i.RegisterProductInput
    ) -> p.PreparedStatement:
        return _prepare(info, calls.register_product_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_update_product(
        self, info: Info, input: i.UpdateProductInput
    ) -> p.PreparedStatement:
        return _prepare(info, calls.update_product_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_grant_certification(
        self, info: Info, input: i.GrantCertificationInput
    ) -> p.PreparedStatement:
        return _prepare(info, calls.grant_certification_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_register_location(
        self, info: Info, input: i.RegisterLocationInput
    ) -> p.PreparedStatement:
        return _prepare(info, calls.register_location_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_update_location(
        self, info: Info, input: i.UpdateLocationInput
    ) -> p.PreparedStatement:
        return _prepare(info, calls.update_location_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_create_batch(self, info: Info, input: i.CreateBatchInput) -> p.PreparedStatement:
        return _prepare(info, calls.create_batch_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_issue_items(self, info: Info, input: i.IssueItemsInput) -> p.PreparedStatement:
        return _prepare(info, calls.issue_items_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_record_event(self, info: Info, input: i.RecordEventInput) -> p.PreparedStatement:
        return _prepare(info, calls.record_event_call, input)

    @strawberry.field(description=PREPARE)
    def prepare_issue_recall(self, info: Info, input: i.IssueRecallInput) -> p.PreparedStatement:
        return _prepare(info, calls.issue_recall_call, input)
