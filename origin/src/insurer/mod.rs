//! The insurer's side of the edge's insurer API: the signing client (`revisit`), the batch that
//! plays the insurer's policy system (`batch`), and the check of revisit scripts before they are
//! sent (`validate-script`).

pub mod batch;
pub mod client;
pub mod scripts;
