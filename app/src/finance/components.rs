//! `/finance/invoices` (list, one invoice, new and edit) and `/finance/customers`.
//!
//! The finance forms are plain server-rendered forms (no islands): they post to their
//! server function, which redirects to the page that shows the result; a refusal comes back
//! to the form's page, which shows it (`FormAction` reads it from the address).

use super::api::{
    CUSTOMERS_PII, CreateCustomer, CreateInvoice, CustomerView, DeleteInvoice, INVOICES_CREATE, INVOICES_READ,
    INVOICES_UPDATE, InvoiceDetail, InvoiceList, InvoiceStatus, IssueInvoice, ProposeEdit, UpdateInvoice, VoidInvoice,
    get_invoice, list_customers, list_invoices, reveal_customer,
};
use super::policy::{self, InvoiceAction, Line};
use super::sections;
use crate::ui::PostForm;
use crate::ui::{
    DoneNote, ErrorAlert, Loaded, Page, WhenAllowed, allowed, current_session, field_error, form_action, gated,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Empty line rows a draft form offers beyond the lines it has.
const BLANK_LINES: usize = 3;

fn status_badge(status: InvoiceStatus, overdue: bool) -> impl IntoView + use<> {
    let class = format!("badge invoice-{}", status.key());
    view! {
        <span class=class>{status.label()}</span>
        {overdue.then(|| view! { " "<span class="badge badge-warn">"Overdue"</span> })}
    }
}

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let status = query.get("status").unwrap_or_default();
    let after = query.get("after");
    let filter = status.clone();
    let list = gated(INVOICES_READ, move || (filter.clone(), after.clone()), |(s, a)| list_invoices(Some(s), a));
    view! {
        <Title text="Invoices · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Invoices"</h1>
                <DoneNote key="deleted" message="Draft deleted."/>
                <div class="toolbar">
                    <StatusFilter current=status.clone()/>
                    <WhenAllowed requirement=INVOICES_CREATE>
                        <a class="button" href="/finance/invoices/new">"New invoice"</a>
                    </WhenAllowed>
                    <a href="/finance/payments">"Payments"</a>
                    <a href="/finance/refunds">"Refunds"</a>
                    <a href="/finance/customers">"Customers"</a>
                    <form method="post" action=super::api::EXPORT_PATH class="inline-form">
                        <input type="hidden" name="status" value=status.clone()/>
                        <button type="submit" class="button-secondary">"Export CSV"</button>
                    </form>
                </div>
                <Loaded resource=list render={move |list: InvoiceList| view! { <InvoiceTable list status=status.clone()/> }}/>
            </section>
        </Page>
    }
}

#[component]
fn StatusFilter(current: String) -> impl IntoView {
    let options = std::iter::once(("", "All"))
        .chain(InvoiceStatus::ALL.into_iter().map(|s| (s.key(), s.label())))
        .map(|(key, label)| view! { <option value=key selected=key == current>{label}</option> })
        .collect_view();
    view! {
        <form method="get" action="/finance/invoices" class="filters" aria-label="Filter invoices">
            <div>
                <label for="f-status">"Status"</label>
                <select id="f-status" name="status">{options}</select>
            </div>
            <button type="submit">"Filter"</button>
        </form>
    }
}

#[component]
fn InvoiceTable(list: InvoiceList, status: String) -> impl IntoView {
    if list.rows.is_empty() {
        return view! {
            <p class="muted">"No invoices here yet. Drafts you create appear here; issuing one gives it its number."</p>
        }
        .into_any();
    }
    let next = list.next.map(|cursor| {
        let href = format!(
            "/finance/invoices?status={}&after={}",
            crate::ui::encode_query_value(&status),
            crate::ui::encode_query_value(&cursor)
        );
        view! { <p><a href=href>"Older invoices →"</a></p> }
    });
    let rows = list
        .rows
        .into_iter()
        .map(|i| {
            let href = format!("/finance/invoices/{}", i.id);
            let label = i.number.clone().unwrap_or_else(|| "Draft".into());
            let open = i.total - i.paid;
            view! {
                <tr>
                    <td><a href=href>{label}</a></td>
                    <td>{i.customer}</td>
                    <td>{status_badge(i.status, i.overdue)}</td>
                    <td class="nowrap">{i.due_on}</td>
                    <td class="num">{policy::format_money(i.total, &i.currency)}</td>
                    <td class="num">{policy::format_money(open, &i.currency)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Number"</th>
                    <th scope="col">"Customer"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Due"</th>
                    <th scope="col" class="num">"Total"</th>
                    <th scope="col" class="num">"Open"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {next}
    }
    .into_any()
}

#[component]
pub fn InvoicePage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let invoice = gated(INVOICES_READ, move || id.clone(), get_invoice);
    view! {
        <Title text="Invoice · Gatehouse"/>
        <Page>
            <DoneNote key="created" message="Draft saved. Issue it when it is ready to send."/>
            <DoneNote key="updated" message="Draft updated."/>
            <DoneNote key="issued" message="Invoice issued. It can no longer change."/>
            <DoneNote key="voided" message="Invoice voided."/>
            <DoneNote key="edit_proposed" message="Edit proposed. It applies once another approver approves it."/>
            <DoneNote key="edit_approved" message="Edit approved: the invoice has a new version."/>
            <DoneNote key="edit_rejected" message="Edit rejected."/>
            <DoneNote key="payment_recorded" message="Payment recorded."/>
            <DoneNote key="refund_requested" message="Refund requested. An approver decides it on the refunds page."/>
            <Loaded resource=invoice render={|i: InvoiceDetail| view! { <Invoice i/> }}/>
        </Page>
    }
}

fn lines_table(lines: &[Line], currency: &str) -> impl IntoView + use<> {
    let minor_units = crate::orgs::minor_units(currency);
    let rows = lines
        .iter()
        .map(|l| {
            view! {
                <tr>
                    <td>{l.description.clone()}</td>
                    <td class="num">{l.quantity}</td>
                    <td class="num">{policy::format_amount(l.unit_price, minor_units)}</td>
                    <td class="num">{format!("{} %", policy::format_amount(l.tax_bp, 2))}</td>
                    <td class="num">{policy::format_amount(l.net().unwrap_or_default(), minor_units)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="num">"Quantity"</th>
                    <th scope="col" class="num">"Unit price"</th>
                    <th scope="col" class="num">"Tax"</th>
                    <th scope="col" class="num">"Amount"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn Invoice(i: InvoiceDetail) -> impl IntoView {
    let actions = current_session().map(|s| policy::available(&s.access, i.status, i.paid)).unwrap_or_default();
    let may = |a: InvoiceAction| actions.contains(&a);
    let title = i.number.clone().unwrap_or_else(|| "Draft invoice".into());
    let money = |amount: i64| policy::format_money(amount, &i.currency);
    let edit = may(InvoiceAction::EditDraft).then(|| {
        let href = format!("/finance/invoices/{}/edit", i.id);
        view! { <a class="button button-secondary" href=href>"Edit draft"</a> }
    });
    let issue = may(InvoiceAction::Issue).then(|| view! { <IssueForm invoice_id=i.id.clone()/> });
    let delete = may(InvoiceAction::DeleteDraft).then(|| view! { <DeleteDraftForm invoice_id=i.id.clone()/> });
    let void = may(InvoiceAction::Void).then(|| view! { <VoidForm invoice_id=i.id.clone()/> });
    let propose = may(InvoiceAction::ProposeEdit).then(|| {
        let href = format!("/finance/invoices/{}/edit", i.id);
        view! { <a class="button button-secondary" href=href>"Propose an edit"</a> }
    });
    let issued = i.status != InvoiceStatus::Draft;
    let history = sections::history(&i.history, &i.currency);
    let money_parts = issued.then(|| {
        let (record, request) = (may(InvoiceAction::RecordPayment), may(InvoiceAction::RequestRefund));
        view! {
            <sections::Edits i=i.clone()/>
            <sections::Payments i=i.clone() record/>
            <sections::Refunds i=i.clone() request/>
        }
    });
    let reveal = (i.customer.masked && allowed(&CUSTOMERS_PII).is_ok()).then(|| reveal_link(&i.customer.id));
    view! {
        <section class="card" aria-labelledby="invoice-title">
            <p><a href="/finance/invoices">"← Invoices"</a></p>
            <h1 id="invoice-title">{title}" "{status_badge(i.status, i.overdue)}</h1>
            <dl class="facts">
                <dt>"Customer"</dt><dd>{i.customer.name.clone()}</dd>
                <dt>"Email"</dt><dd>{i.customer.email.clone()}</dd>
                <dt>"Due"</dt><dd>{i.due_on.clone()}</dd>
                <dt>"Currency"</dt><dd>{i.currency.clone()}</dd>
                <dt>"Created"</dt><dd>{format!("{} by {}", i.created, i.created_by)}</dd>
                {i.issued.clone().map(|at| view! { <dt>"Issued"</dt><dd>{at}</dd> })}
                {i.voided.clone().map(|at| view! {
                    <dt>"Voided"</dt><dd>{format!("{at}: {}", i.void_reason.clone().unwrap_or_default())}</dd>
                })}
            </dl>
            {reveal}
            {lines_table(&i.lines, &i.currency)}
            <dl class="facts totals">
                <dt>"Subtotal"</dt><dd class="num">{money(i.totals.subtotal)}</dd>
                <dt>"Tax"</dt><dd class="num">{money(i.totals.tax)}</dd>
                <dt>"Total"</dt><dd class="num"><strong>{money(i.totals.total)}</strong></dd>
                <dt>"Paid"</dt><dd class="num">{money(i.paid)}</dd>
                <dt>"Open"</dt><dd class="num">{money(i.totals.total - i.paid)}</dd>
            </dl>
            <p class="small muted">{format!("Version {}", i.version)}</p>
            <div class="toolbar">{edit}{issue}{delete}{propose}</div>
        </section>
        {money_parts}
        {history}
        {void}
    }
}

#[component]
fn IssueForm(invoice_id: String) -> impl IntoView {
    let (action, result) = form_action::<IssueInvoice>();
    view! {
        <PostForm action attr:class="inline-form">
            <input type="hidden" name="invoice_id" value=invoice_id/>
            <button type="submit">"Issue invoice"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

#[component]
fn DeleteDraftForm(invoice_id: String) -> impl IntoView {
    let (action, result) = form_action::<DeleteInvoice>();
    view! {
        <PostForm action attr:class="inline-form">
            <input type="hidden" name="invoice_id" value=invoice_id/>
            <button type="submit" class="button-danger">"Delete draft"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

#[component]
fn VoidForm(invoice_id: String) -> impl IntoView {
    let (action, result) = form_action::<VoidInvoice>();
    view! {
        <section class="card narrow" aria-labelledby="void-title">
            <h2 id="void-title">"Void this invoice"</h2>
            <p class="muted">"A void invoice keeps its number and stays in the records. Once money was received, refund instead."</p>
            <PostForm action>
                <input type="hidden" name="invoice_id" value=invoice_id/>
                <label for="void-reason">"Reason"</label>
                <input id="void-reason" name="reason" required maxlength="500" aria-invalid=field_error(result, "reason")/>
                <ErrorAlert result/>
                <button type="submit" class="button-danger">"Void invoice"</button>
            </PostForm>
        </section>
    }
}

/// The link to a customer's unmasked details (opening it is audited).
fn reveal_link(customer_id: &str) -> impl IntoView + use<> {
    let href = format!("/finance/customers/{customer_id}");
    view! {
        <p class="small">
            <a href=href>"Show customer details"</a>
            <span class="muted">" (each look is recorded in the audit log)"</span>
        </p>
    }
}

/// One customer's details, unmasked: opening this page is the reveal, audited once per view.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let customer = gated(CUSTOMERS_PII, move || id.clone(), reveal_customer);
    view! {
        <Title text="Customer · Gatehouse"/>
        <Page>
            <section class="card narrow">
                <p><a href="/finance/customers">"← Customers"</a></p>
                <Loaded resource=customer render={|c: CustomerView| view! {
                    <h1>{c.name.clone()}</h1>
                    <p class="muted small">"This view of personal details is recorded in the audit log."</p>
                    <dl class="facts" aria-label="Customer details">
                        <dt>"Email"</dt><dd>{c.email}</dd>
                        <dt>"Phone"</dt><dd>{c.phone}</dd>
                        <dt>"Billing address"</dt><dd class="pre">{c.address}</dd>
                        <dt>"Marketing consent"</dt><dd>{if c.marketing_consent { "Yes" } else { "No" }}</dd>
                    </dl>
                }}/>
            </section>
        </Page>
    }
}

/// The currency of the caller's organization, in which drafts are written.
fn org_currency() -> String {
    current_session().and_then(|s| s.access.org).map(|o| o.currency).unwrap_or_default()
}

/// A draft form's starting values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct DraftValues {
    customer_id: String,
    due_on: String,
    lines: Vec<Line>,
    currency: String,
}

#[component]
pub fn NewInvoicePage() -> impl IntoView {
    let customers = gated(INVOICES_CREATE, || (), |_| list_customers());
    view! {
        <Title text="New invoice · Gatehouse"/>
        <Page>
            <section class="card">
                <p><a href="/finance/invoices">"← Invoices"</a></p>
                <h1>"New invoice"</h1>
                <Loaded resource=customers render={|customers: Vec<CustomerView>| {
                    let currency = org_currency();
                    view! {
                        <CreateInvoiceForm>
                            <DraftFields customers values=DraftValues { currency, ..DraftValues::default() }/>
                        </CreateInvoiceForm>
                    }
                }}/>
            </section>
        </Page>
    }
}

#[component]
pub fn EditInvoicePage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let invoice = gated(INVOICES_UPDATE, move || id.clone(), get_invoice);
    let customers = gated(INVOICES_UPDATE, || (), |_| list_customers());
    view! {
        <Title text="Edit invoice · Gatehouse"/>
        <Page>
            <section class="card">
                <Loaded resource=invoice render={move |i: InvoiceDetail| {
                    let draft = i.status == InvoiceStatus::Draft;
                    let proposable = policy::check(i.status, i.paid, InvoiceAction::ProposeEdit).is_ok();
                    let back = view! { <p><a href=format!("/finance/invoices/{}", i.id)>"← Back to the invoice"</a></p> };
                    if !draft && !proposable {
                        return view! {
                            {back}
                            <h1>"Edit invoice"</h1>
                            <p class="alert alert-info" role="note">
                                "This invoice no longer changes: it is paid in full or void."
                            </p>
                        }.into_any();
                    }
                    // A draft is priced in the organization's currency of today; an issued
                    // invoice keeps its own.
                    let currency = if draft { org_currency() } else { i.currency.clone() };
                    let changed = (draft && currency != i.currency).then(|| view! {
                        <p class="alert alert-info" role="note">
                            {format!("This draft was made in {}; saving it makes it a {currency} invoice.", i.currency)}
                        </p>
                    });
                    let note = (!draft).then(|| view! {
                        <p class="alert alert-info" role="note">
                            {format!("{} is issued, so it does not change in place: your edit is proposed, and applies once someone else approves it.", i.number.clone().unwrap_or_default())}
                        </p>
                    });
                    let values = DraftValues {
                        customer_id: i.customer.id.clone(),
                        due_on: i.due_on.clone(),
                        lines: i.lines.clone(),
                        currency,
                    };
                    let (id, version) = (i.id.clone(), i.version);
                    view! {
                        {back}
                        <h1>{if draft { "Edit draft" } else { "Propose an edit" }}</h1>
                        {changed}
                        {note}
                        <Loaded resource=customers render={move |customers: Vec<CustomerView>| {
                            let values = values.clone();
                            if draft {
                                view! {
                                    <UpdateInvoiceForm invoice_id=id.clone()>
                                        <DraftFields customers values/>
                                    </UpdateInvoiceForm>
                                }.into_any()
                            } else {
                                view! {
                                    <ProposeEditForm invoice_id=id.clone() version>
                                        <DraftFields customers values/>
                                    </ProposeEditForm>
                                }.into_any()
                            }
                        }}/>
                    }.into_any()
                }}/>
            </section>
        </Page>
    }
}

/// The customer, due date and line inputs of a draft, filled with `values`.
#[component]
fn DraftFields(customers: Vec<CustomerView>, values: DraftValues) -> impl IntoView {
    let minor_units = crate::orgs::minor_units(&values.currency);
    let options = customers
        .into_iter()
        .map(|c| {
            let selected = c.id == values.customer_id;
            view! { <option value=c.id selected=selected>{format!("{} · {}", c.name, c.email)}</option> }
        })
        .collect_view();
    let filled = values.lines.iter().map(Some);
    let blanks = std::iter::repeat_n(None, BLANK_LINES);
    let rows = filled
        .chain(blanks)
        .enumerate()
        .map(|(n, line): (usize, Option<&Line>)| {
            let value = |f: fn(&Line) -> String| line.map(f).unwrap_or_default();
            let description = value(|l| l.description.clone());
            let quantity = value(|l| l.quantity.to_string());
            let price = line.map(|l| policy::plain_amount(l.unit_price, minor_units)).unwrap_or_default();
            let tax = value(|l| policy::format_amount(l.tax_bp, 2));
            let label = |what: &str| format!("{what}, line {}", n + 1);
            view! {
                <tr>
                    <td><input name=format!("description[{n}]") value=description maxlength="200" aria-label=label("Description")/></td>
                    <td><input name=format!("quantity[{n}]") value=quantity inputmode="numeric" size="6" aria-label=label("Quantity")/></td>
                    <td><input name=format!("unit_price[{n}]") value=price inputmode="decimal" size="10" aria-label=label("Unit price")/></td>
                    <td><input name=format!("tax_rate[{n}]") value=tax inputmode="decimal" size="6" aria-label=label("Tax rate (%)")/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <label for="draft-customer">"Customer"</label>
        <select id="draft-customer" name="customer_id" required>
            <option value="">"Choose a customer"</option>
            {options}
        </select>
        <p class="small muted"><a href="/finance/customers">"Add a customer"</a></p>
        <label for="draft-due">"Due on"</label>
        <input id="draft-due" type="date" name="due_on" value=values.due_on required/>
        <p class="small muted">
            {format!("Amounts in {}; leave a row empty to skip it. Totals are worked out when you save.", values.currency)}
        </p>
        <table class="table lines">
            <thead>
                <tr>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Quantity"</th>
                    <th scope="col">"Unit price"</th>
                    <th scope="col">"Tax rate (%)"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// `children`: the draft's fields, drawn on the server.
#[component]
fn CreateInvoiceForm(children: Children) -> impl IntoView {
    let (action, result) = form_action::<CreateInvoice>();
    view! {
        <PostForm action>
            {children()}
            <ErrorAlert result/>
            <button type="submit">"Save draft"</button>
        </PostForm>
    }
}

#[component]
fn UpdateInvoiceForm(invoice_id: String, children: Children) -> impl IntoView {
    let (action, result) = form_action::<UpdateInvoice>();
    view! {
        <PostForm action>
            <input type="hidden" name="invoice_id" value=invoice_id/>
            {children()}
            <ErrorAlert result/>
            <button type="submit">"Save draft"</button>
        </PostForm>
    }
}

#[component]
fn ProposeEditForm(invoice_id: String, version: i64, children: Children) -> impl IntoView {
    let (action, result) = form_action::<ProposeEdit>();
    view! {
        <PostForm action>
            <input type="hidden" name="invoice_id" value=invoice_id/>
            <input type="hidden" name="version" value=version.to_string()/>
            {children()}
            <label for="edit-reason">"Why it should change"</label>
            <input id="edit-reason" name="reason" required maxlength="500" aria-invalid=field_error(result, "reason")/>
            <ErrorAlert result/>
            <button type="submit">"Propose edit"</button>
        </PostForm>
    }
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let customers = gated(INVOICES_READ, || (), |_| list_customers());
    view! {
        <Title text="Customers · Gatehouse"/>
        <Page>
            <section class="card">
                <p><a href="/finance/invoices">"← Invoices"</a></p>
                <h1>"Customers"</h1>
                <DoneNote key="created" message="Customer added."/>
                <Loaded resource=customers render={|list: Vec<CustomerView>| view! { <CustomerTable list/> }}/>
            </section>
            <WhenAllowed requirement=INVOICES_CREATE>
                <NewCustomerForm/>
            </WhenAllowed>
        </Page>
    }
}

#[component]
fn CustomerTable(list: Vec<CustomerView>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No customers yet."</p> }.into_any();
    }
    let reveal = allowed(&CUSTOMERS_PII).is_ok();
    let note = if reveal {
        "Contact details are hidden until you ask to see them; each look is recorded in the audit log."
    } else {
        "Personal details are masked: seeing them needs the “See customer details” permission."
    };
    let rows = list
        .into_iter()
        .map(|c| {
            let show = (reveal && c.masked).then(|| reveal_link(&c.id));
            view! {
                <tr>
                    <td>{c.name}</td>
                    <td>{c.email}</td>
                    <td>{c.phone}</td>
                    <td>{if c.marketing_consent { "Yes" } else { "No" }}</td>
                    <td>{show}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted">{note}</p>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Phone"</th>
                    <th scope="col">"Marketing consent"</th>
                    <th scope="col">""</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewCustomerForm() -> impl IntoView {
    let (action, result) = form_action::<CreateCustomer>();
    view! {
        <section class="card narrow" aria-labelledby="new-customer-title">
            <h2 id="new-customer-title">"Add a customer"</h2>
            <PostForm action>
                <label for="c-name">"Name"</label>
                <input id="c-name" name="name" required maxlength="100" aria-invalid=field_error(result, "name")/>
                <label for="c-email">"Email"</label>
                <input id="c-email" name="email" type="email" required maxlength="254" aria-invalid=field_error(result, "email")/>
                <label for="c-phone">"Phone (optional)"</label>
                <input id="c-phone" name="phone" type="tel" maxlength="30" aria-invalid=field_error(result, "phone")/>
                <label for="c-address">"Billing address (optional)"</label>
                <textarea id="c-address" name="address" rows="3" maxlength="500"></textarea>
                <label class="checkbox">
                    <input type="checkbox" name="marketing_consent" value="on"/>
                    "Agreed to receive marketing"
                </label>
                <ErrorAlert result/>
                <button type="submit">"Add customer"</button>
            </PostForm>
        </section>
    }
}
