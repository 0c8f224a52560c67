"""Placeholder Streamlit entry point; the real app replaces this file."""

import streamlit as st

st.set_page_config(page_title="Posture coach", layout="wide")
st.title("Posture coach")
st.info("The app is being built. Meanwhile: `posture analyze clip.mp4 --activity lifting`.")
