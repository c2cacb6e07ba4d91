"""A producer's products: list, detail (OCOP certificates read-only), create, edit, photo.

Each write is the one ``registerProduct``/``updateProduct``/``uploadProductPhoto`` make, through
the same plan functions; a refusal is shown next to its field with the form as it was sent.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from traceapp.config import get_settings
from traceapp.console.core import bp, not_found, render, signed_in
from traceapp.console.forms import (
    field_errors,
    form_key,
    member_write,
    new_key,
    producer_of_member,
)
from traceapp.console.gtin import gtin_help
from traceapp.db.sessions import get_session
from traceapp.errors import DomainError
from traceapp.media.errors import NotAnImage
from traceapp.media.images import media_path, read_upload, store_photo
from traceapp.media.store import open_store
from traceapp.producers.models import Producer
from traceapp.products.models import PRODUCT_GROUPS, Certification, Product
from traceapp.products.photos import plan_set_product_photo
from traceapp.products.services import (
    ProductChanges,
    ProductInput,
    plan_register_product,
    plan_update_product,
)

Page = tuple[str, int] | BaseResponse
FIELDS = ("gtin", "nameVi", "nameEn", "group", "description", "standards")


def own_product(public_id: str) -> Product | None:
    """The member's producer's product, else None (someone else's is as absent as none)."""
    producer = producer_of_member()
    if producer is None:
        return None
    found: Product | None = (
        get_session()
        .execute(
            select(Product)
            .join(Producer, Producer.id == Product.producer_id)
            .where(Product.public_id == public_id[:40], Producer.public_id == producer)
        )
        .scalar_one_or_none()
    )
    return found


def _standards(text: str) -> list[str]:
    parts = text.replace("\n", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def _form_page(
    template_values: dict[str, str], errors: dict[str, str], status: int, **extra: Any
) -> Page:
    values = {name: template_values.get(name, "") for name in (*FIELDS, "key")}
    values["key"] = values["key"] or new_key()
    help_ = gtin_help(values["gtin"]) if "gtin" in extra.get("show", ("gtin",)) else None
    return render(
        "console/product_form.html",
        status,
        values=values,
        errors=errors,
        groups=PRODUCT_GROUPS,
        gtin=help_,
        **extra,
    )


@bp.route("/products")
@signed_in
def products() -> Page:
    producer = producer_of_member()
    if producer is None:
        return not_found()
    rows = (
        get_session()
        .execute(
            select(Product)
            .join(Producer, Producer.id == Product.producer_id)
            .where(Producer.public_id == producer)
            .order_by(Product.name_vi)
        )
        .scalars()
        .all()
    )
    return render("console/products.html", products=rows, thumb=_thumb)


def _thumb(product: Product) -> str | None:
    if not product.photo:
        return None
    return media_path(product.photo["thumb"]["sha256"])


@bp.route("/products/new", methods=["GET", "POST"])
@signed_in
def product_new() -> Page:
    producer = producer_of_member()
    if producer is None:
        return not_found()
    if request.method == "GET":
        return _form_page({}, {}, 200, product=None)
    sent = {name: request.form.get(name, "") for name in (*FIELDS, "key")}
    help_ = gtin_help(sent["gtin"])
    if request.form.get("action") == "check" or help_ is None or help_.full is None:
        # Checking the GTIN writes nothing; a GTIN that is not one is not sent on either.
        errors = {} if request.form.get("action") == "check" else {"gtin": ""}
        status = 200 if request.form.get("action") == "check" else 422
        return _form_page(sent, errors, status, product=None)
    data = ProductInput(
        producer=producer,
        gtin=help_.full,
        name_vi=sent["nameVi"],
        group=sent["group"],
        name_en=sent["nameEn"] or None,
        description=sent["description"] or None,
        standards=_standards(sent["standards"]),
    )
    try:
        receipt = member_write(
            lambda s, ledger, w: plan_register_product(s, ledger, w, data),
            {"op": "register_product", **data.__dict__},
            form_key(),
        )
    except DomainError as exc:
        return _form_page(sent, field_errors(exc, FIELDS), 422, product=None)
    return redirect(url_for("console.product", public_id=receipt.public_ids[0]), 303)


@bp.route("/products/<public_id>")
@signed_in
def product(public_id: str) -> Page:
    found = own_product(public_id)
    if found is None:
        return not_found()
    return _detail(found, None, 200)


def _detail(found: Product, photo_error: str | None, status: int) -> Page:
    certificates = (
        get_session()
        .execute(
            select(Certification)
            .where(Certification.product_id == found.id)
            .order_by(Certification.valid_until.desc())
        )
        .scalars()
        .all()
    )
    photo = None
    if found.photo:
        thumb = found.photo["thumb"]
        photo = {"src": media_path(thumb["sha256"]), "w": thumb["width"], "h": thumb["height"]}
    return render(
        "console/product.html",
        status,
        product=found,
        certificates=certificates,
        photo=photo,
        photo_error=photo_error,
        key=new_key(),
    )


@bp.route("/products/<public_id>/edit", methods=["GET", "POST"])
@signed_in
def product_edit(public_id: str) -> Page:
    found = own_product(public_id)
    if found is None:
        return not_found()
    current_values = {
        "gtin": found.gtin,
        "nameVi": found.name_vi,
        "nameEn": found.name_en or "",
        "group": found.group,
        "description": found.description or "",
        "standards": ", ".join(found.standards or []),
    }
    if request.method == "GET":
        return _form_page(current_values, {}, 200, product=found, show=())
    sent = {name: request.form.get(name, "") for name in (*FIELDS, "key")}
    sent["gtin"] = found.gtin  # a product's GTIN never changes

    def changed(name: str) -> str | None:
        return sent[name] if sent[name].strip() != current_values[name].strip() else None

    standards = changed("standards")
    changes = ProductChanges(
        name_vi=changed("nameVi"),
        name_en=changed("nameEn"),
        group=changed("group"),
        description=changed("description"),
        standards=_standards(standards) if standards is not None else None,
    )
    try:
        member_write(
            lambda s, ledger, w: plan_update_product(s, ledger, w, found.public_id, changes),
            {"op": "update_product", "id": found.public_id, **changes.__dict__},
            form_key(),
        )
    except DomainError as exc:
        return _form_page(sent, field_errors(exc, FIELDS), 422, product=found, show=())
    return redirect(url_for("console.product", public_id=found.public_id), 303)


@bp.route("/products/<public_id>/photo", methods=["POST"])
@signed_in
def product_photo(public_id: str) -> Page:
    found = own_product(public_id)
    if found is None:
        return not_found()
    upload = request.files.get("photo")
    try:
        if upload is None or not upload.filename:
            raise NotAnImage("is not a file", field="photo")
        stored = store_photo(
            open_store(get_settings()), read_upload(upload.stream, "photo"), field="photo"
        )
        member_write(
            lambda s, ledger, w: plan_set_product_photo(s, ledger, w, found.public_id, stored),
            {"op": "set_product_photo", "id": found.public_id, "photo": stored.statement()},
            form_key(),
        )
    except DomainError as exc:
        errors = field_errors(exc, ("photo",))
        return _detail(found, errors.get("photo") or errors["form"], 422)
    return redirect(url_for("console.product", public_id=found.public_id), 303)
