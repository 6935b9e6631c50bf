//! `/settings/roles`: the role catalog.

use super::api::{CreateRole, DeleteRole, ROLES_MANAGE, ROLES_READ, RoleView, SetRolePermission, list_roles};
use crate::access::{BuiltinRole, Domain, Permission, decide};
use crate::error::AppError;
use crate::ui::{ErrorAlert, Loaded, Page, WhenAllowed, current_session, field_error, gated};
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct RoleActions {
    create: ServerAction<CreateRole>,
    toggle: ServerAction<SetRolePermission>,
    delete: ServerAction<DeleteRole>,
    roles: Resource<Result<Vec<RoleView>, AppError>>,
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let create = ServerAction::<CreateRole>::new();
    let toggle = ServerAction::<SetRolePermission>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let roles = gated(
        ROLES_READ,
        move || (create.version().get(), toggle.version().get(), delete.version().get()),
        |_| list_roles(),
    );
    provide_context(RoleActions { create, toggle, delete, roles });
    view! {
        <Title text="Roles · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Roles"</h1>
                <p class="muted">
                    "What each role may do. Built-in roles are fixed; custom roles hold only organization "
                    "permissions, never more than the person who edits them holds."
                </p>
            </section>
            <Catalog/>
        </Page>
    }
}

#[component]
fn Catalog() -> impl IntoView {
    let a = expect_context::<RoleActions>();
    let toggle: Signal<Option<Result<(), AppError>>> = a.toggle.value().into();
    let delete: Signal<Option<Result<(), AppError>>> = a.delete.value().into();
    view! {
        <ErrorAlert result=toggle/>
        <ErrorAlert result=delete/>
        <Loaded resource={a.roles} render={|roles: Vec<RoleView>| {
            let templates = roles.clone();
            let cards = roles.into_iter().map(|role| view! { <RoleCard role/> }).collect_view();
            view! {
                {cards}
                <WhenAllowed requirement=ROLES_MANAGE>
                    <NewRole templates=templates.clone()/>
                </WhenAllowed>
            }
        }}/>
    }
}

fn list(items: &[&str]) -> impl IntoView + use<> {
    let items = items.iter().map(|i| view! { <li>{i.to_string()}</li> }).collect_view();
    view! { <ul>{items}</ul> }
}

#[component]
fn RoleCard(role: RoleView) -> impl IntoView {
    let a = expect_context::<RoleActions>();
    let builtin = role.builtin.as_deref().and_then(BuiltinRole::from_key);
    let (title_id, labelled_by) = (format!("role-{}", role.id), format!("role-{}", role.id));
    let plain = builtin.map(|b| {
        view! {
            <div class="can-cannot">
                <div><h3>"Can"</h3>{list(b.can())}</div>
                <div><h3>"Cannot"</h3>{list(b.cannot())}</div>
            </div>
        }
    });
    let editable = builtin.is_none();
    let can_manage = current_session().is_some_and(|s| decide(Some(&s.access), &ROLES_MANAGE).is_ok());
    let groups = Domain::ALL
        .into_iter()
        .filter(|d| *d != Domain::Platform)
        .filter_map(|domain| {
            let perms: Vec<Permission> = Permission::ALL.iter().copied().filter(|p| p.domain() == domain).collect();
            let held: Vec<Permission> =
                perms.iter().copied().filter(|p| role.permissions.iter().any(|k| k == p.key())).collect();
            if !editable && held.is_empty() {
                return None;
            }
            let items = perms
                .into_iter()
                .filter(|p| editable || held.contains(p))
                .map(|p| {
                    let has = held.contains(&p);
                    let role_id = role.id.clone();
                    let control = (editable && can_manage).then(|| {
                        let label = format!("{} {} {} {}", if has { "Remove" } else { "Add" }, p.label(), if has { "from" } else { "to" }, role.name);
                        view! {
                            <ActionForm action=a.toggle attr:class="inline-form">
                                <input type="hidden" name="role_id" value=role_id/>
                                <input type="hidden" name="permission" value=p.key()/>
                                <input type="hidden" name="enabled" value=if has { "false" } else { "true" }/>
                                <button type="submit" class="link-button" aria-label=label>
                                    {if has { "Remove" } else { "Add" }}
                                </button>
                            </ActionForm>
                        }
                    });
                    let class = if has { "perm held" } else { "perm" };
                    view! { <li class=class title=p.description()>{p.label()}" "<code class="small">{p.key()}</code>" "{control}</li> }
                })
                .collect_view();
            Some(view! { <div class="perm-group"><h3>{domain.label()}</h3><ul>{items}</ul></div> })
        })
        .collect_view();
    let delete = (editable && can_manage && role.members == 0).then(|| {
        let label = format!("Delete the role {}", role.name);
        let role_id = role.id.clone();
        view! {
            <ActionForm action=a.delete attr:class="inline-form">
                <input type="hidden" name="role_id" value=role_id/>
                <button type="submit" class="button-danger" aria-label=label>"Delete role"</button>
            </ActionForm>
        }
    });
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title_id>{role.name.clone()}" "
                <span class="badge">{if editable { "custom" } else { "built-in" }}</span>
                {role.mfa_required.then(|| view! { " "<span class="badge badge-warn">"requires two-factor"</span> })}
            </h2>
            {(!role.description.is_empty()).then(|| view! { <p>{role.description.clone()}</p> })}
            <p class="small muted">{format!("{} member{}", role.members, if role.members == 1 { "" } else { "s" })}</p>
            {plain}
            <div class="perm-groups">{groups}</div>
            {delete}
        </section>
    }
}

#[component]
fn NewRole(templates: Vec<RoleView>) -> impl IntoView {
    let a = expect_context::<RoleActions>();
    let result: Signal<Option<Result<(), AppError>>> = a.create.value().into();
    let options = templates
        .into_iter()
        .map(|r| view! { <option value=r.id>{format!("Start from {}", r.name)}</option> })
        .collect_view();
    view! {
        <section class="card narrow" aria-labelledby="new-role-title">
            <h2 id="new-role-title">"New custom role"</h2>
            <ActionForm action=a.create>
                <label for="role-name">"Name"</label>
                <input id="role-name" name="name" required maxlength="50" aria-invalid=field_error(result, "name")/>
                <label for="role-description">"Description (optional)"</label>
                <input id="role-description" name="description" maxlength="300"/>
                <label for="role-template">"Permissions"</label>
                <select id="role-template" name="template_id">
                    <option value="">"Start with none"</option>
                    {options}
                </select>
                <ErrorAlert result/>
                <button type="submit">"Create role"</button>
            </ActionForm>
        </section>
    }
}
