//! Analytics (DESIGN §8). Every analytics answer sits behind `analytics.view` and a live
//! step-up unlock of the session; revenue figures additionally need `analytics.view_revenue`.

pub mod api;
pub mod components;
