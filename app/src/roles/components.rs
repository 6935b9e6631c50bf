//! `/settings/roles`: the role catalog.

use super::api::{CreateRole, DeleteRole, ROLES_MANAGE, ROLES_READ, RoleView, SetRolePermission, list_roles};
use crate::access::{BuiltinRole, Domain, Permission};
use crate::ui::PostForm;
use crate::ui::{DoneNote, ErrorAlert, Loaded, Page, allowed, field_error, form_action, gated};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RolesPage() -> impl IntoView {
    let roles = gated(ROLES_READ, || (), |_| list_roles());
    view! {
        <Title text="Roles · Gatehouse"/>
        <Page>
            <section class="card">
                <h1>"Roles"</h1>
                <p class="muted">
                    "What each role may do. Built-in roles are fixed; custom roles hold only organization "
                    "permissions, never more than the person who edits them holds."
                </p>
                // Every change reloads the catalog (`?done=…`).
                <DoneNote key="created" message="Role created."/>
                <DoneNote key="updated" message="Role updated."/>
                <DoneNote key="deleted" message="Role deleted."/>
            </section>
            {
                // Inside the frame, where the caller's session is known.
                let can_manage = allowed(&ROLES_MANAGE).is_ok();
                view! { <Loaded resource=roles render={move |roles: Vec<RoleView>| view! { <Catalog roles can_manage/> }}/> }
            }
        </Page>
    }
}

#[component]
fn Catalog(roles: Vec<RoleView>, can_manage: bool) -> impl IntoView {
    let templates: Vec<(String, String)> = roles.iter().map(|r| (r.id.clone(), r.name.clone())).collect();
    let cards = roles.into_iter().map(|role| view! { <RoleCard role can_manage/> }).collect_view();
    view! {
        {cards}
        {can_manage.then(|| view! { <NewRole templates/> })}
    }
}

fn list(items: &[&str]) -> impl IntoView + use<> {
    let items = items.iter().map(|i| view! { <li>{i.to_string()}</li> }).collect_view();
    view! { <ul>{items}</ul> }
}

#[component]
fn RoleCard(role: RoleView, can_manage: bool) -> impl IntoView {
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
                            <PermissionToggle role_id permission=p.key().to_string() add=!has label/>
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
        view! { <DeleteRoleForm role_id label/> }
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

/// Adds or removes one permission of a custom role; the catalog reloads on success.
#[island]
fn PermissionToggle(role_id: String, permission: String, add: bool, label: String) -> impl IntoView {
    let (action, result) = form_action::<SetRolePermission>();
    view! {
        <PostForm action attr:class="inline-form">
            <input type="hidden" name="role_id" value=role_id/>
            <input type="hidden" name="permission" value=permission/>
            <input type="hidden" name="enabled" value=if add { "true" } else { "false" }/>
            <button type="submit" class="link-button" aria-label=label>{if add { "Add" } else { "Remove" }}</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

#[island]
fn DeleteRoleForm(role_id: String, label: String) -> impl IntoView {
    let (action, result) = form_action::<DeleteRole>();
    view! {
        <PostForm action attr:class="inline-form">
            <input type="hidden" name="role_id" value=role_id/>
            <button type="submit" class="button-danger" aria-label=label>"Delete role"</button>
            <ErrorAlert result/>
        </PostForm>
    }
}

/// `templates`: each role's id and name, to start a new role from.
#[island]
fn NewRole(templates: Vec<(String, String)>) -> impl IntoView {
    let (action, result) = form_action::<CreateRole>();
    let options = templates
        .into_iter()
        .map(|(id, name)| view! { <option value=id>{format!("Start from {name}")}</option> })
        .collect_view();
    view! {
        <section class="card narrow" aria-labelledby="new-role-title">
            <h2 id="new-role-title">"New custom role"</h2>
            <PostForm action>
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
            </PostForm>
        </section>
    }
}
